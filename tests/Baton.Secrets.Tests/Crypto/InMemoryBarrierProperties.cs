using System.Collections.Concurrent;

namespace Baton.Secrets.Tests.Crypto;

/// <summary>The barrier properties over a dictionary: the reference store.</summary>
public sealed class InMemoryBarrierProperties : BarrierProperties
{
    private readonly ConcurrentDictionary<(string Name, int Version), byte[]> _values = new();
    private byte[] _keyring = [];

    protected override Task PutAsync(string name, int version, byte[] blob)
    {
        _values[(name, version)] = (byte[])blob.Clone();
        return Task.CompletedTask;
    }

    protected override Task<byte[]?> GetAsync(string name, int version) =>
        Task.FromResult(_values.TryGetValue((name, version), out var blob) ? (byte[])blob.Clone() : null);

    protected override Task<byte[]> ReadAllStoredBytesAsync() =>
        Task.FromResult<byte[]>([.. _values.Values.SelectMany(v => v), .. _keyring]);

    protected override Task SaveKeyringAsync(byte[] wrappedKeyring)
    {
        _keyring = (byte[])wrappedKeyring.Clone();
        return Task.CompletedTask;
    }

    protected override Task<byte[]> LoadKeyringAsync() => Task.FromResult((byte[])_keyring.Clone());
}
