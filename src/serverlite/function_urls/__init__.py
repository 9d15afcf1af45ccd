"""Lambda function URLs: a function's own HTTPS endpoint (payload 2.0), served locally
on a port per URL, buffered or streamed (docs/function-urls.md)."""
