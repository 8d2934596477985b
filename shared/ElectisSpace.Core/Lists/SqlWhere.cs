namespace ElectisSpace.Core.Lists;

/// <summary>
/// A list's WHERE clause built from fixed SQL fragments, one per filter that is present, with the values as parameters.
/// Only the conditions that apply reach PostgreSQL, so each query plans on its indexes; a catch-all
/// "(@x IS NULL OR col = @x)" term would hide them. Fragments are code constants, never request text.
/// </summary>
public sealed class SqlWhere
{
    private readonly List<string> _terms = [];
    public DynamicParameters Parameters { get; } = new();

    /// <param name="scope">The organization scope, e.g. "p.org_id = @orgId" (every list has one).</param>
    public SqlWhere(string scope, Guid orgId)
    {
        _terms.Add(scope);
        Parameters.Add("orgId", orgId);
    }

    public SqlWhere And(string term)
    {
        _terms.Add(term);
        return this;
    }

    /// <summary>Adds term when value is present, binding it as @name.</summary>
    public SqlWhere And(string term, string name, object? value)
    {
        if (value is null) return this;
        Parameters.Add(name, value);
        return And(term);
    }

    /// <summary>Only the organization scope: no filter applies.</summary>
    public bool IsScopeOnly => _terms.Count == 1;

    public override string ToString() => "WHERE " + string.Join("\n  AND ", _terms);
}
