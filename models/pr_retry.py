"""Batches that fail are run again item by item, so that one bad item keeps only itself waiting."""


def failed_alone(cr, items, run, logger, message):
    """Run ``run(items)`` in a savepoint; when it fails, ``run([item])`` for each item in a savepoint of its own.

    Returns the items that failed alone (none when the batch passed), each logged with ``message % item``.
    """
    try:
        with cr.savepoint():
            run(items)
        return []
    except Exception:  # noqa: BLE001 - each item alone, below, says which one fails
        failed = []
        for item in items:
            try:
                with cr.savepoint():
                    run([item])
            except Exception:
                logger.exception(message, item)
                failed.append(item)
        return failed
