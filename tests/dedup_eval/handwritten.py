"""Hand-written texts for the dedup evaluation: translations of fixture stories (must NOT match their Kazakh
originals) and different stories on the same topic as a fixture story (must NOT match it)."""

from __future__ import annotations

# article_id of the fixture story -> (language, paragraphs) of a translation.
TRANSLATIONS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "025342": (
        ("ru", (
            "УРАЛЬСК. KAZINFORM – В Уральске на льду реки Жайык прошли городские соревнования по зимней рыбалке. "
            "В них приняли участие более 70 любителей.",
            "Победитель за три часа поймал более 4 килограммов рыбы. Призёрам вручили ценные подарки.",
            "Спасатели во время соревнований проверяли толщину льда и обеспечивали безопасность.",
        )),
        ("en", (
            "ORAL. KAZINFORM – A city winter ice fishing competition was held on the Zhaiyk River in Oral. "
            "More than 70 amateurs took part.",
            "The winner caught more than 4 kilograms of fish in three hours. Prize-winners received valuable gifts.",
            "Rescuers checked the thickness of the ice and ensured safety during the competition.",
        )),
    ),
    "0526ba": (
        ("ru", (
            "АКТОБЕ. KAZINFORM – В Актобе отопительный сезон проходит без перебоев. Несмотря на морозы, "
            "источники тепла работают на полную мощность.",
            "По данным городского предприятия тепловых сетей, в праздничные дни дежурят более 40 аварийных бригад.",
            "По вопросам тепло- и водоснабжения жители могут обращаться в единый контакт-центр 109.",
        )),
    ),
    "c3c6b6": (
        ("ru", (
            "АСТАНА. KAZINFORM – Министерство по чрезвычайным ситуациям призвало граждан осторожно обращаться "
            "с пиротехникой в праздничные дни.",
            "По словам специалистов, фейерверки можно запускать только на открытых площадках, не ближе 20 метров "
            "от жилых домов и машин. Детям не следует разрешать пользоваться пиротехникой самостоятельно.",
            "Также рекомендуется не вешать на ёлку некачественные гирлянды и не перегружать электросеть.",
            "При пожаре или чрезвычайной ситуации нужно звонить по номеру 112.",
        )),
        ("en", (
            "ASTANA. KAZINFORM – The Emergency Situations Ministry urged citizens to handle fireworks with care "
            "during the holidays.",
            "According to specialists, fireworks should be launched only in open areas, at least 20 metres away "
            "from homes and cars. Children should not be allowed to use pyrotechnics on their own.",
            "Residents are also advised not to hang poor-quality electric garlands on the tree and not to "
            "overload the power grid.",
            "In case of fire or emergency, call 112.",
        )),
    ),
    "63a55d9b": (
        ("ru", (
            "АСТАНА. KAZINFORM – Астанинский хоккейный клуб «Барыс» в очередном туре чемпионата КХЛ одержал "
            "выездную победу со счётом 4:2.",
            "Первый период завершился вничью, а во втором астанчане забросили две шайбы и вышли вперёд. "
            "В третьем периоде соперник отыграл одну шайбу, но «Барыс» победу не упустил.",
            "«Важно, что мы завершили год победой. Ребята боролись до последней секунды», — сказал тренер "
            "команды на послематчевой пресс-конференции.",
            "После этой победы «Барыс» поднялся на одну строчку в турнирной таблице Восточной конференции. "
            "Следующую игру команда проведёт 3 января.",
        )),
        ("en", (
            "ASTANA. KAZINFORM – Astana hockey club Barys won 4:2 away in the latest round of the KHL championship.",
            "The first period ended in a draw, and in the second the Astana side scored twice to take the lead. "
            "The opponent pulled one back in the third period, but Barys held on to the win.",
            "\"It matters that we ended the year with a win. The guys fought to the last second,\" the head coach "
            "said at the post-match press conference.",
            "After the win Barys moved up one place in the Eastern Conference standings. The team plays its next "
            "game on January 3.",
        )),
    ),
    "1d04b1": (
        ("ru", (
            "АТЫРАУ. KAZINFORM – Атырауский нефтеперерабатывающий завод в 2025 году переработал более 5,5 "
            "миллиона тонн сырой нефти. Это на 2 процента выше плана.",
            "Предприятие увеличило выпуск горюче-смазочных материалов и стабильно обеспечивало внутренний рынок "
            "бензином и дизельным топливом.",
            "Руководство завода планирует провести плановый ремонт весной 2026 года. Во время ремонта поставки "
            "на внутренний рынок сохранятся за счёт запасов.",
        )),
    ),
}

# article_id of the fixture story -> a different story on the same topic, written in the same house style.
SAME_TOPIC: dict[str, tuple[str, ...]] = {
    "025342": (
        "ПЕТРОПАВЛ. KAZINFORM – Петропавлда Есіл өзенінің мұзында балалар арасында қысқы балық аулаудан "
        "облыстық жарыс өтті. Оған 30-ға жуық оқушы қатысты.",
        "Жарыстың мақсаты – балаларды салауатты өмір салтына баулу. Жеңімпаздарға медальдар мен балық аулау "
        "құралдары табысталды.",
        "Ұйымдастырушылар келесі жарысты ақпан айында өткізуді жоспарлап отыр.",
    ),
    "2bc800": (
        "АСТАНА. KAZINFORM – «Қазгидромет» РМК синоптиктері демалыс күндеріне арналған ауа райы болжамын "
        "жариялады. Батыс өңірлерде қатты жел соғып, бұрқасын болады.",
        "Атырау, Маңғыстау және Батыс Қазақстан облыстарында жел екпіні секундына 25 метрге дейін күшейеді. "
        "Түнде көктайғақ күтіледі.",
        "Шығыс өңірлерде аяз 25 градусқа дейін жетеді. Синоптиктер тұрғындарды сақ болуға шақырды.",
    ),
    "0526ba": (
        "ПАВЛОДАР. KAZINFORM – Павлодарда жаңа қазандық іске қосылып, үш шағын ауданның үйлеріне жылу беріле "
        "бастады. Жоба облыстық бюджет есебінен жүзеге асты.",
        "Қазандықтың қуаты 12 мың тұрғынды жылумен қамтамасыз етуге жетеді. Бұрын бұл аудандар ескі "
        "желілерге байланысты жиі суықта қалатын.",
        "Әкімдік келесі жылы тағы екі қазандықты жаңғыртуды жоспарлап отыр.",
    ),
    "63a55d9b": (
        "АСТАНА. KAZINFORM – Астаналық «Барыс» хоккей клубы КХЛ чемпионатының кезекті турында үй алаңында "
        "2:3 есебімен жеңіліп қалды.",
        "Ойынның негізгі уақыты тең аяқталып, жеңімпазды буллиттер сериясы анықтады. Қонақтар үш буллиттің "
        "екеуін дәл орындады.",
        "Команда бапкері жігіттердің ойынына көңілі толатынын, бірақ нәтиже жетпегенін айтты.",
        "«Барыс» келесі ойынын 6 қаңтарда қонақта өткізеді.",
    ),
}
