import threading

from django.db import connection


def run_together(function, arguments):
    """Call function(argument) for each argument in its own thread, all released at once.

    Returns (results, errors); each thread closes its own database connection.
    """
    barrier = threading.Barrier(len(arguments))
    results, errors = [], []

    def run(argument):
        try:
            barrier.wait()
            results.append(function(argument))
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
