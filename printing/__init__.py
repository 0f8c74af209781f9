"""reportlab documents. Printing takes plain data (dataclasses) and never queries a database."""
