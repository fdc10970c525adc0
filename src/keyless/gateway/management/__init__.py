"""ARM types of Microsoft.ApiManagement/service/... and the APIOps importer."""
