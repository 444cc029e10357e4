"""The newsarchive Scrapy project: spiders, host-override download handler, WARC writer. Reads no settings."""
