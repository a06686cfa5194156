"""The household at a glance (家庭全景): state, forms and page."""
