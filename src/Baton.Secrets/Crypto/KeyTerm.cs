namespace Baton.Secrets.Crypto;

/// <summary>What is known about one data key of the <see cref="Keyring"/>: its term number, when it was made and how
/// many values it has encrypted. Metadata only; the key bytes are never exposed.</summary>
public sealed record KeyTerm(int Term, DateTimeOffset Created, long Encryptions);
