"""monday.com: a GraphQL source (boards, groups, columns, items, subitems, updates and files)."""
