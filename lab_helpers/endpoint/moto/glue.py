"""glue: the one write moto lacks for crawlers, UpdateCrawler, applied to moto's stored crawler.

Crawler answers (GetCrawler, GetCrawlers, ListCrawlers) are moto's own, run through
``EngineContext.call_moto`` and patched by the glue engine; nothing here reads them.
"""
from __future__ import annotations

from moto.core.utils import utcnow
from moto.glue.exceptions import CrawlerNotFoundException
from moto.glue.models import glue_backends

from .accounts import current

# UpdateCrawler's request fields -> moto's FakeCrawler attributes (moto 5.2 has no update_crawler).
CRAWLER_FIELDS = {"Role": "role", "DatabaseName": "database_name", "Description": "description",
                  "Targets": "targets", "Classifiers": "classifiers", "TablePrefix": "table_prefix",
                  "SchemaChangePolicy": "schema_change_policy", "RecrawlPolicy": "recrawl_policy",
                  "LineageConfiguration": "lineage_configuration", "Configuration": "configuration",
                  "CrawlerSecurityConfiguration": "crawler_security_configuration",
                  "Schedule": "schedule"}   # UpdateCrawler's Schedule is the cron string moto stores


def update_glue_crawler(name: str, region: str, fields: dict) -> bool:
    """Apply UpdateCrawler's fields to the stored crawler; False if there is no such crawler."""
    try:
        crawler = glue_backends[current()][region].get_crawler(name)
    except CrawlerNotFoundException:
        return False
    for key, attr in CRAWLER_FIELDS.items():
        if key in fields:
            setattr(crawler, attr, fields[key])
    crawler.version += 1
    crawler.last_updated = utcnow()
    return True
