"""glue: crawlers that really crawl, on the local endpoint.

moto stores crawler definitions (CreateCrawler, UpdateCrawler, DeleteCrawler pass through to
it) but creates no tables. This engine owns crawler *runs*: StartCrawler reads the S3 targets
as the crawler's IAM role (iam_lite applies: without key-user rights the crawl fails with
S3's AccessDenied in the crawler's log), classifies and groups files with ``crawler``,
writes tables and partitions through the Glue API, and moves the crawler RUNNING → STOPPING →
READY with LastCrawl, CloudWatch logs (``/aws-glue/crawlers``), GetCrawlerMetrics and ListCrawls.

LIMITATIONS: S3 targets only (JDBC, DynamoDB, catalog targets are reported as not emulated);
no schedules (a Schedule is stored but never fires); StopCrawler stops between phases, not
mid-file; run history lives in memory and is cleared by reset.

Handlers are ``module:function`` strings, imported on first use, so the endpoint starts fast.
"""
HANDLERS = {("glue", op): f"{__name__}.api:{fn}" for op, fn in (
    ("StartCrawler", "start_crawler"), ("StopCrawler", "stop_crawler"), ("UpdateCrawler", "update_crawler"),
    ("GetCrawler", "get_crawler"), ("GetCrawlers", "get_crawlers"),
    ("GetCrawlerMetrics", "get_crawler_metrics"), ("ListCrawls", "list_crawls"))}
GUARDS: dict = {}
