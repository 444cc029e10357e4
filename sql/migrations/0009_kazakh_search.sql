-- 0009 Kazakh search: a suffix-stripping Kazakh stemmer (Cyrillic and Latin), Kazakh tsquery builders, English
-- stemming for English articles, and search_articles() ranking phrase and stem matches above trigram similarity.
-- Needs only core PostgreSQL and pg_trgm (0004): no dictionary files, no C extension.

-- Kazakh endings in Cyrillic, by slot, outermost first (a word is stem + derivation + plural + possessive +
-- case + personal ending; verbs: stem + voice + tense/participle + personal ending). `follows` says what the
-- ending comes after: a vowel, a consonant, a 3rd-person possessive -ы/-і (the pronominal н of the cases), or
-- anything (NULL). The Latin (2021 alphabet) forms are derived by kazakh_latin().
CREATE FUNCTION kazakh_endings_cyrillic() RETURNS TABLE (slot integer, suffix text, follows text)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    BEGIN ATOMIC
        SELECT v.slot, unnest(v.suffixes), v.follows
        FROM (VALUES
            -- 1 word-final endings: personal and predicative; finite verbs (present, past); converbs
            (1, ARRAY['мын', 'мін', 'бын', 'бін', 'пын', 'пін', 'сың', 'сің', 'мыз', 'міз', 'быз', 'біз', 'пыз',
                      'піз', 'сыз', 'сіз', 'ды', 'ді'], NULL),
            (1, ARRAY['ады', 'еді', 'ты', 'ті'], 'consonant'),
            (1, ARRAY['йды', 'йді', 'п'], 'vowel'),
            (1, ARRAY['ып', 'іп'], 'consonant'),  -- converbs end the word
            -- 2 cases: genitive, dative, accusative, locative, ablative, instrumental, locative-attributive
            (2, ARRAY['ның', 'нің', 'ны', 'ні'], 'vowel'),
            (2, ARRAY['дың', 'дің', 'тың', 'тің'], 'consonant'),
            (2, ARRAY['ға', 'ге', 'қа', 'ке', 'да', 'де', 'та', 'те', 'дан', 'ден', 'тан', 'тен', 'нан', 'нен',
                      'мен', 'бен', 'пен', 'менен', 'бенен', 'пенен', 'дағы', 'дегі', 'тағы', 'тегі', 'ғы', 'гі',
                      'қы', 'кі'], NULL),
            (2, ARRAY['на', 'не', 'н', 'нда', 'нде', 'ндағы', 'ндегі'], 'possessive'),
            -- 3 possessive
            (3, ARRAY['м', 'ң', 'ңыз', 'ңіз', 'сы', 'сі'], 'vowel'),
            (3, ARRAY['ым', 'ім', 'ың', 'ің', 'ымыз', 'іміз', 'ыңыз', 'іңіз', 'ы', 'і'], 'consonant'),
            -- 4 plural
            (4, ARRAY['лар', 'лер', 'дар', 'дер', 'тар', 'тер'], NULL),
            -- 5 derivation: -лық (adjectives, abstract nouns), -шы (agents)
            (5, ARRAY['лық', 'лік', 'дық', 'дік', 'тық', 'тік', 'шы', 'ші'], NULL),
            -- 6 participle, verbal noun
            (6, ARRAY['ған', 'ген', 'қан', 'кен', 'атын', 'етін', 'йтын', 'йтін', 'у', 'уда', 'уде', 'мақ', 'мек',
                      'пақ', 'пек', 'бақ', 'бек'], NULL),
            -- 7 passive voice
            (7, ARRAY['ыл', 'іл'], 'consonant')
        ) AS v(slot, suffixes, follows);
    END;
COMMENT ON FUNCTION kazakh_endings_cyrillic() IS
    'Kazakh endings (Cyrillic) that kazakh_stem() strips, by slot from the end of the word, and what they follow.';

-- Cyrillic Kazakh letters as written in the 2021 Latin alphabet (the one Kazinform's qz. edition uses).
CREATE FUNCTION kazakh_latin(word text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN replace(replace(translate(word, 'аәбгғдеёжзийкқлмнңоөпрстуұүфхһцыіэ', 'aábgǵdeejzııkqlmnńoóprstýuúfhhcyie'),
                           'ш', 'sh'), 'ч', 'ch');
COMMENT ON FUNCTION kazakh_latin(text) IS 'Kazakh Cyrillic text in the 2021 Latin alphabet (ш -> sh, ч -> ch; й, и -> ı).';

-- Vowel class of the last vowel of a word: 'b' back, 'f' front, NULL none (or only neutral и/у/ю, ı, ý).
CREATE FUNCTION kazakh_vowel_class(word text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN CASE
        WHEN substring(word FROM '([аоұыяaouyәөүіеэáóúei])[^аоұыяaouyәөүіеэáóúei]*$') ~ '[аоұыяaouy]' THEN 'b'
        WHEN substring(word FROM '([аоұыяaouyәөүіеэáóúei])[^аоұыяaouyәөүіеэáóúei]*$') IS NOT NULL THEN 'f'
    END;
COMMENT ON FUNCTION kazakh_vowel_class(text) IS
    'Vowel harmony class of the last vowel: b (back), f (front) or NULL (no harmonic vowel).';

-- Every ending, Cyrillic and Latin, with its slot, condition and vowel class.
CREATE FUNCTION kazakh_endings() RETURNS TABLE (slot integer, suffix text, follows text, vowel_class text)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    BEGIN ATOMIC
        SELECT DISTINCT e.slot, v.s, e.follows, kazakh_vowel_class(v.s)
        FROM kazakh_endings_cyrillic() AS e, LATERAL (VALUES (e.suffix), (kazakh_latin(e.suffix))) AS v(s)
        ORDER BY 1, 2;
    END;
COMMENT ON FUNCTION kazakh_endings() IS 'The endings kazakh_stem() strips, Cyrillic and Latin, by slot.';

-- The stem of one Kazakh word (lower-cased): slot by slot from the end of the word, strip the longest ending of
-- that slot whose vowel agrees with the last vowel of what remains (vowel harmony), as long as 3 letters with a
-- vowel remain. Forms of one word reduce to one stem (мемлекеттердің, мемлекетке -> мемлекет); a stem can be
-- shorter than the dictionary form (орталық -> орта), which is why search matches stems as word prefixes.
CREATE FUNCTION kazakh_stem(word text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $fn$
DECLARE
    stem text := lower(word);
    ending record;
    candidate text;
    current_slot integer := 0;
BEGIN
    FOR ending IN SELECT * FROM kazakh_endings() ORDER BY slot, char_length(suffix) DESC, suffix LOOP
        CONTINUE WHEN ending.slot = current_slot  -- one ending per slot
            OR char_length(stem) - char_length(ending.suffix) < 3 OR right(stem, char_length(ending.suffix)) <> ending.suffix;
        candidate := left(stem, -char_length(ending.suffix));
        CONTINUE WHEN candidate !~ '[аоұыяaouyәөүіеэáóúeiиуıý]'
            OR (ending.follows = 'possessive' AND candidate !~ '[ыіyi]$')
            OR (ending.follows = 'vowel' AND candidate !~ '[аоұыяәөүіеэиуюaouyáóúeiıý]$')
            OR (ending.follows = 'consonant' AND candidate ~ '[аоұыяәөүіеэиуюaouyáóúeiıý]$')
            OR (ending.vowel_class IS NOT NULL AND kazakh_vowel_class(candidate) <> ending.vowel_class);
        stem := candidate;
        current_slot := ending.slot;
    END LOOP;
    RETURN stem;
END
$fn$;
COMMENT ON FUNCTION kazakh_stem(text) IS
    'Stem of a Kazakh word (Cyrillic or Latin): one ending per slot stripped while vowel harmony holds, 3+ letters kept.';

-- One query word as a tsquery term: its stem as a word prefix, plus the other voicing of a final қ/к/п <-> ғ/г/б
-- (балық, балығы; кітап, кітабы), as Kazakh voices that consonant before a vowel.
CREATE FUNCTION kazakh_stem_term(word text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN (SELECT '(' || search_quote_lexeme(s.stem) || ':*'
                   || CASE WHEN s.stem ~ '[қкпғгбqkpǵgb]$'
                           THEN ' | ' || search_quote_lexeme(left(s.stem, -1)
                                         || translate(right(s.stem, 1), 'қкпғгбqkpǵgb', 'ғгбқкпǵgbqkp')) || ':*'
                           ELSE '' END || ')'
            FROM (SELECT kazakh_stem(word) AS stem) AS s);
COMMENT ON FUNCTION kazakh_stem_term(text) IS 'tsquery text for one word: its Kazakh stem as a prefix, with voicing.';

-- Every word of `query` by its stem, AND-ed (kazakh_tsquery) or adjacent and in order (kazakh_phrase_tsquery).
-- Use them with the `simple` vectors of Kazakh articles: search_vector @@ kazakh_tsquery('мемлекеттердің').
CREATE FUNCTION kazakh_words_tsquery(query text, operator text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN coalesce((SELECT string_agg(kazakh_stem_term(t.word), operator ORDER BY t.n)
                     FROM regexp_split_to_table(lower(query), '[^[:alnum:]]+') WITH ORDINALITY AS t(word, n)
                     WHERE t.word <> ''), '')::tsquery;
COMMENT ON FUNCTION kazakh_words_tsquery(text, text) IS
    'The query''s words as Kazakh stem prefixes joined by an operator (& or <->).';
CREATE FUNCTION kazakh_tsquery(query text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN kazakh_words_tsquery(query, ' & ');
COMMENT ON FUNCTION kazakh_tsquery(text) IS
    'Kazakh tsquery: every word of the query in any inflected form (stem prefix), in any order.';
CREATE FUNCTION kazakh_phrase_tsquery(query text) RETURNS tsquery
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN kazakh_words_tsquery(query, ' <-> ');
COMMENT ON FUNCTION kazakh_phrase_tsquery(text) IS
    'Kazakh phrase tsquery: the query''s words in any inflected form, adjacent and in order.';

-- English articles get English stemming; the stored vectors are recomputed once.
CREATE OR REPLACE FUNCTION article_search_config(lang text) RETURNS regconfig
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE lang WHEN 'ru' THEN 'pg_catalog.russian'::regconfig
                     WHEN 'en' THEN 'pg_catalog.english'::regconfig
                     ELSE 'pg_catalog.simple'::regconfig END;
COMMENT ON FUNCTION article_search_config(text) IS
    'Text search configuration for a language code: russian, english, else simple (Kazakh: see kazakh_tsquery).';
UPDATE articles SET title = title WHERE coalesce(detected_language, language) = 'en';

-- Search. Tiers, best first: 1 phrase (exact forms, adjacent, in order), 2 stem phrase (any inflected forms,
-- adjacent, in order), 3 all words (exact forms), 4 all stems (any inflected forms, any order), 5 trigram for
-- one-word queries (similar spelling: карағанды typed for қарағанды). Russian and English articles have
-- stemmed vectors (their own configuration), so for them tiers 1-2 are the stemmed phrase and 3-4 the stems. Within a tier: ts_rank_cd, or the strict trigram word similarity.
DROP FUNCTION search_articles(text, integer, text, text, date, date, boolean);
CREATE FUNCTION search_articles(
    query text,
    max_results integer DEFAULT 20,
    source_name text DEFAULT NULL,
    lang text DEFAULT NULL,
    since date DEFAULT NULL,
    until date DEFAULT NULL,
    include_duplicates boolean DEFAULT false
) RETURNS TABLE (
    id bigint,
    source text,
    article_id text,
    title text,
    published_at timestamptz,
    language text,
    match_kind text,
    tier integer,
    score real,
    snippet text,
    url text
)
LANGUAGE sql STABLE PARALLEL SAFE
SET pg_trgm.strict_word_similarity_threshold = 0.5
AS $fn$
WITH q AS (
    SELECT lower(btrim(search_articles.query)) AS raw,
           phraseto_tsquery('pg_catalog.simple', search_articles.query) AS phrase_s,
           plainto_tsquery('pg_catalog.simple', search_articles.query) AS words_s,
           kazakh_phrase_tsquery(search_articles.query) AS stem_phrase_kk,
           kazakh_tsquery(search_articles.query) AS stems_kk,
           phraseto_tsquery('pg_catalog.russian', search_articles.query) AS stem_phrase_ru,
           plainto_tsquery('pg_catalog.russian', search_articles.query) AS stems_ru,
           phraseto_tsquery('pg_catalog.english', search_articles.query) AS stem_phrase_en,
           plainto_tsquery('pg_catalog.english', search_articles.query) AS stems_en
), candidates AS (
    SELECT a.id FROM articles a, q WHERE a.search_vector @@ (q.stems_kk || q.stems_ru || q.stems_en)
    UNION
    SELECT a.id FROM articles a, q
    WHERE char_length(q.raw) >= 4 AND q.raw !~ '\s' AND q.raw <<% (a.title || ' ' || coalesce(a.normalized_body, a.body))
), scored AS (
    SELECT a.*,
           coalesce(a.detected_language, a.language) AS lang_code,
           article_search_config(coalesce(a.detected_language, a.language)) AS cfg,
           CASE article_search_config(coalesce(a.detected_language, a.language))
                WHEN 'pg_catalog.russian'::regconfig THEN ARRAY[q.stem_phrase_ru, q.stem_phrase_ru, q.stems_ru, q.stems_ru]
                WHEN 'pg_catalog.english'::regconfig THEN ARRAY[q.stem_phrase_en, q.stem_phrase_en, q.stems_en, q.stems_en]
                ELSE ARRAY[q.phrase_s, q.stem_phrase_kk, q.words_s, q.stems_kk] END AS tq,
           q.raw
    FROM candidates c JOIN articles a ON a.id = c.id CROSS JOIN q
    WHERE (search_articles.include_duplicates OR a.duplicate_of IS NULL)
      AND (search_articles.source_name IS NULL OR a.source = search_articles.source_name)
      AND (search_articles.lang IS NULL OR coalesce(a.detected_language, a.language) = search_articles.lang)
      AND (search_articles.since IS NULL OR archive_local_date(a.published_at) >= search_articles.since)
      AND (search_articles.until IS NULL OR archive_local_date(a.published_at) <= search_articles.until)
), tiered AS (
    SELECT s.*,
           CASE WHEN numnode(s.tq[1]) > 0 AND s.search_vector @@ s.tq[1] THEN 1
                WHEN numnode(s.tq[2]) > 0 AND s.search_vector @@ s.tq[2] THEN 2
                WHEN numnode(s.tq[3]) > 0 AND s.search_vector @@ s.tq[3] THEN 3
                WHEN numnode(s.tq[4]) > 0 AND s.search_vector @@ s.tq[4] THEN 4
                ELSE 5 END AS t
    FROM scored s
), ranked AS (
    SELECT t.*,
           CASE WHEN t.t = 5 THEN strict_word_similarity(t.raw, t.title || ' ' || coalesce(t.normalized_body, t.body))
                ELSE ts_rank_cd(t.search_vector, t.tq[t.t]) END::real AS sc
    FROM tiered t
    WHERE t.t < 5 OR t.raw <<% (t.title || ' ' || coalesce(t.normalized_body, t.body))
    ORDER BY t.t, sc DESC, t.published_at DESC NULLS LAST, t.id
    LIMIT greatest(search_articles.max_results, 0)
)
SELECT r.id, r.source, r.article_id, r.title, r.published_at, r.lang_code,
       (ARRAY['phrase', 'stem phrase', 'words', 'stems', 'trigram'])[r.t],
       r.t, r.sc,
       ts_headline(r.cfg, r.body, r.tq[least(r.t, 4)],
                   'StartSel=[, StopSel=], MaxWords=30, MinWords=10, MaxFragments=2, FragmentDelimiter=" ... "'),
       r.canonical_url
FROM ranked r
ORDER BY r.t, r.sc DESC, r.published_at DESC NULLS LAST, r.id
$fn$;
COMMENT ON FUNCTION search_articles(text, integer, text, text, date, date, boolean) IS
    'Search: exact phrase first, then the phrase in any inflected form (Kazakh stems, Russian/English stemming), '
    'all words, all stems, similar spellings; with ts_headline snippets ([match]). Duplicates excluded unless asked.';
GRANT EXECUTE ON FUNCTION search_articles(text, integer, text, text, date, date, boolean) TO newsarchive_reader;
