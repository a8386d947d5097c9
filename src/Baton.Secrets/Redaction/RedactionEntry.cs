namespace Baton.Secrets.Redaction;

/// <summary>A secret value the redactor must hide, and the name of the secret it belongs to.</summary>
public readonly record struct RedactionEntry(string SecretName, string Value);
