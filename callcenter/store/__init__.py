"""Call records, transcripts and de-duplication state in Azure Table Storage."""
