-- 0005 Kazinform's other editions: Latin-script Kazakh (qz.), Russian (www.inform.kz/ru) and English (en.).

INSERT INTO sources (name, display_name, base_url, language)
VALUES ('kazinform_qz', 'Kazinform (Latin-script Kazakh edition)', 'https://qz.inform.kz', 'kk'),
       ('kazinform_ru', 'Kazinform (Russian edition)', 'https://www.inform.kz/ru', 'ru'),
       ('kazinform_en', 'Kazinform (English edition)', 'https://en.inform.kz', 'en');
