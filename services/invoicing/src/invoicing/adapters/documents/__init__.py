"""Drawing an `InvoiceDocument` (invoicing.domain.documents): the PDF and the hosted invoice page,
both from one set of display strings (`view`)."""
