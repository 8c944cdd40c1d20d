"""The tenant's privacy notice: its model, validation, versions and Care of's template."""
