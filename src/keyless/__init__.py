"""keyless: Entra ID, API Management and Logic Apps, compatible, on one machine."""

__version__ = "0.1.0"
