using System.Text.Json.Nodes;

namespace ElectisSpace.AimsEmulator;

// The mutable model behind EmulatorState. Every access happens under EmulatorState's lock.

internal sealed class CompanyModel(string code, string? cluster)
{
    public string Code { get; } = code;
    public string? Cluster { get; set; } = cluster;
    public JsonObject? Format { get; set; }
    public SortedDictionary<string, StoreModel> Stores { get; } = new(StringComparer.Ordinal);
}

internal sealed class ArticleModel
{
    public required string ArticleId { get; init; }
    public string ArticleName { get; set; } = "";
    public string NfcUrl { get; set; } = "";
    public Dictionary<string, string> Data { get; set; } = [];
    public DateTimeOffset GenerateDate { get; set; }
    public DateTimeOffset LastModified { get; set; }
}

internal sealed class LabelModel
{
    public required string Code { get; init; }
    public int Pages { get; set; } = 1;
    public string Type { get; set; } = "";
    public string Battery { get; set; } = "GOOD";
    public string Signal { get; set; } = "EXCELLENT";
    public bool NetworkStatus { get; set; } = true;
    public List<string> ArticleIds { get; set; } = [];
    public string? TemplateName { get; set; }
    public int CurrentPage { get; set; } = 1;
    public DateTimeOffset LastChanged { get; set; }
}

internal sealed class StoreModel(string code, string name)
{
    public string Code { get; } = code;
    public string Name { get; set; } = name;
    public SortedDictionary<string, ArticleModel> Articles { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, LabelModel> Labels { get; } = new(StringComparer.Ordinal);
    public HashSet<string> Whitelist { get; } = new(StringComparer.Ordinal);
    /// <summary>Rows dropped by AIMS's after-the-answer validation, per customBatchId.</summary>
    public Dictionary<string, List<(string ArticleId, string Reason)>> ValidationErrors { get; } = new(StringComparer.Ordinal);

    // Article writes waiting for their visibility time (EmulatorOptions.ArticleVisibilityDelay), oldest first.
    private readonly List<(DateTimeOffset Due, Action<StoreModel> Apply)> _pending = [];

    public int PendingCount => _pending.Count;

    public void Schedule(DateTimeOffset due, DateTimeOffset now, Action<StoreModel> apply)
    {
        // Keep the list ordered by due time even if the delay was changed at run time.
        var index = _pending.FindIndex(p => p.Due > due);
        _pending.Insert(index < 0 ? _pending.Count : index, (due, apply));
        ApplyDue(now);
    }

    public void ApplyDue(DateTimeOffset now)
    {
        while (_pending.Count > 0 && _pending[0].Due <= now)
        {
            var next = _pending[0];
            _pending.RemoveAt(0);
            next.Apply(this);
        }
    }

    public IEnumerable<string> LabelsOf(string articleId) =>
        Labels.Values.Where(l => l.ArticleIds.Contains(articleId)).Select(l => l.Code);

    /// <summary>Deleting an article unlinks every label that showed it.</summary>
    public void DeleteArticle(string articleId)
    {
        if (!Articles.Remove(articleId)) return;
        foreach (var label in Labels.Values)
        {
            if (label.ArticleIds.Remove(articleId) && label.ArticleIds.Count == 0) label.TemplateName = null;
        }
    }
}
