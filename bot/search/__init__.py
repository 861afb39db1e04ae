"""Finding the entry that answers a question: vocabulary, index, retriever."""
