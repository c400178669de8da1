"""What surveys add to the consultation page and the participation panel."""
