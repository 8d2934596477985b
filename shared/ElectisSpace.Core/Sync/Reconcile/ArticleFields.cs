using ElectisSpace.Core.Aims;

namespace ElectisSpace.Core.Sync.Reconcile;

/// <summary>
/// The pull direction of the mapping for an article that already has an entity: which entity fields an AIMS-side edit
/// changes. Only keys whose value differs between the server's article (built by <see cref="ArticleMapper"/>) and AIMS's
/// are taken, each to the field the mapping sends to that key (an occupant's fields first, as their values win on the
/// label), so unmapped mirror keys (ITEM_NAME built from a name) never leak into entity data. Pure.
/// </summary>
public static class ArticleFields
{
    public sealed record Changes(Dictionary<string, string> Data, Dictionary<string, string>? Person, string? RoomName, bool Any);

    public static Changes FromAims(LocalEntity local, AimsArticleInfo aims, ArticleMappings m)
    {
        if (local.EntityType == EntityTypes.Conference)
        {
            var name = aims.ArticleName is { Length: > 0 } n && n != local.Article.ArticleName ? n : null;
            return new Changes(local.Data, null, name, name is not null);
        }

        var skip = new[] { m.Format.Key("articleId"), m.Format.Key("store"), m.Format.Key("nfcUrl") };
        var nameKey = m.Format.Key("articleName");
        var isPool = local.EntityType == EntityTypes.Person;
        var person = local.Occupant is { } o ? new Dictionary<string, string>(o.Data, StringComparer.Ordinal) : null;
        var space = isPool ? null : new Dictionary<string, string>(local.Data, StringComparer.Ordinal);
        var any = false;

        foreach (var key in local.Article.Data.Keys.Union(aims.Data.Keys).Where(k => !skip.Contains(k)))
        {
            var ours = local.Article.Data.GetValueOrDefault(key) ?? "";
            var theirs = aims.Data.GetValueOrDefault(key) ?? "";
            if (ours == theirs) continue;
            var target = Target(key, person, space, m, nameKey);
            if (target is not { } t) continue;
            if (theirs.Length == 0) t.Fields.Remove(t.Field); else t.Fields[t.Field] = theirs;
            any = true;
        }
        return new Changes(space ?? person!, isPool ? null : person, null, any);
    }

    private static (Dictionary<string, string> Fields, string Field)? Target(string key, Dictionary<string, string>? person,
        Dictionary<string, string>? space, ArticleMappings m, string? nameKey)
    {
        if (person is not null && Find(person, EntityTypes.Person, key, m) is { } pf) return (person, pf);
        if (space is not null && Find(space, EntityTypes.Space, key, m) is { } sf) return (space, sf);
        if (key == nameKey) return null; // built from the name; no field holds it
        return (space ?? person!, key);
    }

    /// <summary>The field of these entity fields (or of the mapping) that the mapping writes under this article key.</summary>
    private static string? Find(Dictionary<string, string> fields, string kind, string key, ArticleMappings m) =>
        fields.Keys.FirstOrDefault(f => m.Key(kind, f) == key)
        ?? (m.Fields.TryGetValue(kind, out var map) ? map.FirstOrDefault(kv => kv.Value == key).Key : null);
}
