"""One spider per registered source spec (`scrapy crawl <source name>`), each a `SourceSpider` of its spec.

The specs of NEWSARCHIVE_SOURCE_MODULES are registered first (read through etl.core.config), so a source
defined outside the project gets its spider too. A source whose site has a real quirk that the discovery data
cannot express would get a subclass of `SourceSpider` here; none needs one today.
"""

from __future__ import annotations

from etl.sources import Source, all_sources
from scrapers.spiders.discovery import SourceSpider


def spider_class(source: Source) -> type[SourceSpider]:
    """The spider class of `source`: named after it, limited to its hosts."""
    class_name = "".join(part.capitalize() for part in source.name.split("_")) + "Spider"
    attributes = {
        "name": source.spider, "source": source, "allowed_domains": list(source.hosts), "__module__": __name__,
        "__doc__": f"Archive {source.display_name} articles published in [start, end).",
    }
    return type(class_name, (SourceSpider,), attributes)


SPIDERS: dict[str, type[SourceSpider]] = {source.spider: spider_class(source) for source in all_sources()}
globals().update({cls.__name__: cls for cls in SPIDERS.values()})
