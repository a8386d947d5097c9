namespace Baton.Secrets.Service;

/// <summary>No secret by that name (or version): HTTP 404.</summary>
public sealed class SecretNotFoundException(string message) : Exception(message);

/// <summary>A check-and-set write lost: HTTP 412.</summary>
public sealed class SecretVersionConflictException(string message) : Exception(message);

/// <summary>The keyring was changed on another node in a way this node cannot take (another master key): HTTP 409.</summary>
public sealed class KeyringChangedElsewhereException(string message) : Exception(message);

/// <summary>A value, name or tag that cannot be accepted: HTTP 400 naming the field.</summary>
public sealed class SecretRequestException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>A value over the size limit: HTTP 413 naming the limit.</summary>
public sealed class SecretTooLargeException(string message) : Exception(message);

/// <summary>A secret could not be handed to a task; the message names the secret and never holds a value.</summary>
public sealed class SecretResolutionException(string message) : Exception(message);

/// <summary>The vault cannot open (wrong or unreadable master key): the server stops with this message.</summary>
public sealed class SecretsStartupException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The principal may not write this secret: HTTP 403 (a task that tried fails with the message).</summary>
public sealed class SecretAccessDeniedException(string message) : Exception(message);

/// <summary>The name belongs to a deleted secret that its owners may still restore: HTTP 409.</summary>
public sealed class SecretNameReservedException(string message) : Exception(message);
