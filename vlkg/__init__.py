"""vlkg: linked open data about Vietnamese local government, and the service that publishes it."""

__version__ = "0.1.0"
