"""Small text PDFs made on the spot (fpdf2): the demo's tariffs and by-laws, and test files."""

from fpdf import FPDF


def text_pdf(title: str, lines: list[str]) -> bytes:
    """A one-section PDF with a title and lines of text (Latin-1: the PDF core fonts' alphabet)."""
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 10, title.encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for line in lines:
        pdf.multi_cell(0, 7, line.encode("latin-1", "replace").decode("latin-1"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
