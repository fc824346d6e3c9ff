"""Photos, videos, audio and PDFs on issues: checked by content, cleaned, stored and served by permission."""
