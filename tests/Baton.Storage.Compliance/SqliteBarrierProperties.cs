using Baton.Secrets.Store;
using Baton.Secrets.Tests.Crypto;
using Baton.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Baton.Storage.Compliance;

/// <summary>
/// Vault's barrier properties (confidentiality, integrity, move integrity, unique ciphertexts, invalid lengths,
/// keyring reload, data-key and master-key rotation) run against the real SQLite store: values go through the
/// secret repository into the database file, and the confidentiality scan reads every byte of it and its WAL.
/// </summary>
public sealed class SqliteBarrierProperties : BarrierProperties
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "baton-barrier-" + Guid.NewGuid().ToString("N"));
    private readonly SqliteDatabase _database;
    private readonly SqliteSecretRepository _repository;

    public SqliteBarrierProperties()
    {
        Directory.CreateDirectory(_folder);
        _database = new SqliteDatabase(Path.Combine(_folder, "baton.db"), new SqliteOptions(), NullLogger<SqliteDatabase>.Instance);
        _repository = new SqliteSecretRepository(_database);
    }

    /// <summary>Stores or replaces a blob, as Vault writes to physical storage (the tampering tests write through here).</summary>
    protected override async Task PutAsync(string name, int version, byte[] blob)
    {
        var written = await _repository.WriteVersionAsync(new SecretWrite
        {
            Name = name,
            Version = version,
            Kind = "string",
            Ciphertext = blob,
            Principal = null,
            At = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            KeepVersions = 1000,
        });
        if (written == SecretWriteOutcome.Written) return;
        await _database.WriteAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE secret_versions SET ciphertext = $blob WHERE name = $name AND version = $version;";
            command.Parameters.AddWithValue("$blob", blob);
            command.Parameters.AddWithValue("$name", name);
            command.Parameters.AddWithValue("$version", version);
            command.ExecuteNonQuery();
        });
    }

    protected override async Task<byte[]?> GetAsync(string name, int version) => (await _repository.GetVersionAsync(name, version))?.Ciphertext;

    protected override async Task<byte[]> ReadAllStoredBytesAsync()
    {
        var bytes = new List<byte>();
        foreach (var file in Directory.GetFiles(_folder))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            bytes.AddRange(copy.ToArray());
        }
        return [.. bytes];
    }

    protected override async Task SaveKeyringAsync(byte[] wrappedKeyring)
    {
        var stored = await _repository.LoadKeyringAsync();
        var saved = stored is null ? await _repository.CreateKeyringAsync(wrappedKeyring) : await _repository.SaveKeyringAsync(wrappedKeyring, stored);
        Assert.True(saved, "nothing else writes this keyring");
    }

    protected override async Task<byte[]> LoadKeyringAsync() => await _repository.LoadKeyringAsync() ?? [];

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _database.DisposeAsync().AsTask().GetAwaiter().GetResult();
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // A temp folder: best effort.
            }
        }
        base.Dispose(disposing);
    }
}
