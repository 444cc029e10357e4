-- 0007 sources: NUR.KZ (Kazakh edition) and Azattyq (RFE/RL Kazakh service).

INSERT INTO sources (name, display_name, base_url, language)
VALUES ('nur', 'NUR.KZ (Kazakh edition)', 'https://kaz.nur.kz', 'kk'),
       ('azattyq', 'Azattyq (RFE/RL Kazakh service)', 'https://www.azattyq.org', 'kk')
ON CONFLICT (name) DO NOTHING;
