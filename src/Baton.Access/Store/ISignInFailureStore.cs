namespace Baton.Access.Store;

/// <summary>
/// Failed sign-ins, counted in the store so that every node sharing it counts an attacker's guesses together (three
/// nodes do not give three times the rate) and a restart does not forget them. A key names what failed, an identity
/// or a client address; <see cref="Service.SignIn"/> passes hashes of them, so the table holds no email typed by
/// mistake and no key longer than a hash.
/// </summary>
public interface ISignInFailureStore
{
    /// <summary>
    /// Records one failure of each of <paramref name="keys"/> at <paramref name="at"/> (ms since the epoch) and forgets
    /// every failure of any key at <paramref name="forgetUpTo"/> or before. Durable when it returns.
    /// </summary>
    Task RecordAsync(IReadOnlyList<string> keys, long at, long forgetUpTo, CancellationToken ct = default);

    /// <summary>Each of <paramref name="keys"/>' failures after <paramref name="since"/>; a key with none is left out.</summary>
    Task<IReadOnlyList<SignInFailures>> CountAsync(IReadOnlyList<string> keys, long since, CancellationToken ct = default);

    /// <summary>Forgets every failure of <paramref name="key"/> (its sign-in succeeded).</summary>
    Task ForgetAsync(string key, CancellationToken ct = default);
}

/// <summary>How many times <paramref name="Key"/> failed in the window asked about, and when it last did (ms since the epoch).</summary>
public sealed record SignInFailures(string Key, int Count, long LastAt);
