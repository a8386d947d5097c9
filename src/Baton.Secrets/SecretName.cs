namespace Baton.Secrets;

/// <summary>What a secret may be called: <c>[A-Za-z0-9_-]+</c>, at most 256 characters (dashes allowed, dots not:
/// a dot selects a field of a JSON secret, as in <c>${workflow.secrets.db-credentials.username}</c>).</summary>
public static class SecretName
{
    public const int MaxLength = 256;

    /// <returns>null when the name is valid, otherwise what is wrong with it, in words.</returns>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "a secret needs a name";
        if (name.Length > MaxLength) return $"a secret name has at most {MaxLength} characters (this one has {name.Length})";
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                return $"secret name '{name}' may only contain letters A-Z and a-z, digits, '_' and '-'";
            }
        }
        return null;
    }

    public static bool IsValid(string? name) => Problem(name) is null;
}
