"""Issues and what happens to them: the models, the workflow, the services that change an issue,
who may do what, who is told, how an issue is shown, the issues API and the resident pages."""
