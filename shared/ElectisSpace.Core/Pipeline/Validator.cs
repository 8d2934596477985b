using System.Text.RegularExpressions;

namespace ElectisSpace.Core.Pipeline;

/// <summary>Collects field errors for one request and throws them together as a VALIDATION_ERROR.</summary>
public sealed partial class Validator
{
    private readonly List<FieldError> _errors = [];

    public bool IsValid => _errors.Count == 0;
    public Validator Add(string field, string message) { _errors.Add(new(field, message)); return this; }

    public Validator Required(string field, object? value)
    {
        if (value is null || value is string s && string.IsNullOrWhiteSpace(s)) Add(field, $"{field} is required.");
        return this;
    }

    public Validator MaxLength(string field, string? value, int max)
    {
        if (value is not null && value.Length > max) Add(field, $"{field} must be at most {max} characters.");
        return this;
    }

    public Validator Email(string field, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value) && (value.Length > 255 || !EmailRegex().IsMatch(value)))
            Add(field, $"{field} must be a valid email address.");
        return this;
    }

    public Validator Matches(string field, string? value, Regex pattern, string message)
    {
        if (!string.IsNullOrEmpty(value) && !pattern.IsMatch(value)) Add(field, message);
        return this;
    }

    public Validator When(bool condition, string field, string message)
    {
        if (condition) Add(field, message);
        return this;
    }

    public void ThrowIfInvalid()
    {
        if (_errors.Count > 0) throw ApiException.Validation(_errors);
    }

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailRegex();
}
