-- A conference room's AIMS article id is "C" + its external id (rooms and spaces never collide). C# spells it in
-- ArticleMapper.ConferenceArticleId, SQL here; queries that need it call this function (inlined by the planner:
-- a single-expression, IMMUTABLE SQL function). The outbox key trigger of 0005/0012 still writes 'article:C' || ...
-- itself: those migrations are applied, and redefining the trigger here would override any later migration's version.
CREATE FUNCTION conference_article_id(external_id text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'C' || external_id
$$;
