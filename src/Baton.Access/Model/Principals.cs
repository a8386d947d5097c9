namespace Baton.Access.Model;

/// <summary>A person who signs in with email and password. The id is the email, as in Orkes.</summary>
public sealed record User
{
    private readonly string? _uid;

    public required string Id { get; init; }

    /// <summary>
    /// The user's immutable id: 128 random bits made when the user is created, never reused, so a user deleted and
    /// created again with the same email is another user, and the old user's tokens do not name the new one. A user
    /// stored before there were uids gets one derived from its email and creation time, the same on every load, and
    /// kept when the user is next written.
    /// </summary>
    public string Uid
    {
        get => _uid ?? LegacyUid(Id, CreatedAt);
        init => _uid = value;
    }

    /// <summary>Counts credential changes (a new password); a token is accepted only at the epoch it was issued at.</summary>
    public long CredentialEpoch { get; init; }

    public string Name { get; init; } = "";
    public IReadOnlyList<string> Roles { get; init; } = [];
    public IReadOnlyList<string> Groups { get; init; } = [];
    /// <summary>ASP.NET Core Identity's password hash; null for a user who cannot sign in with a password.</summary>
    public string? PasswordHash { get; init; }
    public long CreatedAt { get; init; }
    public string? CreatedBy { get; init; }
    public long UpdatedAt { get; init; }

    /// <summary>A new immutable id: 128 random bits, as 32 hex digits.</summary>
    public static string NewUid() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    private static string LegacyUid(string id, long createdAt) =>
        "legacy-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{id}\n{createdAt}")))[..32];
}

/// <summary>A set of users who inherit its roles and grants.</summary>
public sealed record Group
{
    public required string Id { get; init; }
    public string Description { get; init; } = "";
    public IReadOnlyList<string> Roles { get; init; } = [];
    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }
}

/// <summary>A service account (a worker, a CI job) that signs in with an access key.</summary>
public sealed record Application
{
    public required string Id { get; init; }
    public string Name { get; init; } = "";
    public IReadOnlyList<string> Roles { get; init; } = [];
    public IReadOnlyList<ResourceTag> Tags { get; init; } = [];
    public string? CreatedBy { get; init; }
    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }
}

/// <summary>An application's key: the id is public, the secret is shown once and kept only as a SHA-256 hash.</summary>
public sealed record AccessKey
{
    public required string Id { get; init; }
    public required string ApplicationId { get; init; }
    /// <summary>SHA-256 of the key secret (the secret is 256 random bits, so a slow hash adds nothing).</summary>
    public required byte[] SecretHash { get; init; }
    public bool Active { get; init; } = true;
    public long CreatedAt { get; init; }
}

/// <summary>A tag on a resource (Orkes' <c>{"key","value"}</c>); a grant on target TAG <c>key:value</c> covers it.</summary>
public sealed record ResourceTag(string Key, string Value)
{
    public string TargetId => $"{Key}:{Value}";
}

/// <summary>Everything the access model holds, as loaded from the store.</summary>
public sealed record AccessData(
    IReadOnlyList<User> Users,
    IReadOnlyList<Group> Groups,
    IReadOnlyList<Application> Applications,
    IReadOnlyList<AccessKey> Keys,
    IReadOnlyList<Grant> Grants);
