-- 0006 sources: Tengrinews (Kazakh edition) and Egemen Qazaqstan (kept in step with etl/sources.py).

INSERT INTO sources (name, display_name, base_url, language)
VALUES ('tengrinews', 'Tengrinews (Kazakh edition)', 'https://kaz.tengrinews.kz', 'kk'),
       ('egemen', 'Egemen Qazaqstan', 'https://egemen.kz', 'kk')
ON CONFLICT (name) DO NOTHING;
