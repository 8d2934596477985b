-- The outbox key of a conference room's article is spelled by conference_article_id (0033), the one SQL spelling of
-- ArticleMapper.ConferenceArticleId; 0012's body wrote 'C' || external_id itself. Otherwise the body is 0012's (one
-- query per branch, PL/pgSQL: plans kept per session).
CREATE OR REPLACE FUNCTION sync_queue_aims_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.aims_key IS NULL THEN
        IF NEW.action IN ('link_label', 'unlink_label', 'flip_page') THEN
            NEW.aims_key := 'label:' || (NEW.payload ->> 'labelCode');
        ELSIF NEW.action = 'delete_article' THEN
            NEW.aims_key := 'article:' || (NEW.payload ->> 'articleId');
        ELSIF NEW.entity_type = 'space' THEN
            NEW.aims_key := 'article:' || (SELECT external_id FROM spaces WHERE id = NEW.entity_id);
        ELSIF NEW.entity_type = 'conference' THEN
            NEW.aims_key := 'article:' || (SELECT conference_article_id(external_id) FROM conference_rooms WHERE id = NEW.entity_id);
        ELSIF NEW.entity_type = 'person' THEN
            NEW.aims_key := 'article:' || (SELECT coalesce(s.external_id, p.virtual_space_id)
                                           FROM people p LEFT JOIN spaces s ON s.id = p.assigned_space_id
                                           WHERE p.id = NEW.entity_id);
        END IF;
        NEW.aims_key := coalesce(NEW.aims_key, NEW.entity_type || ':' || NEW.entity_id);
    END IF;
    RETURN NEW;
END $$;
