using System.Security.Cryptography;

namespace Baton.Secrets.Crypto;

/// <summary>Finds the master key at start-up.</summary>
public static class MasterKeySource
{
    public const string DefaultFileName = "master.key";

    /// <summary>A key file holds 44 base64 characters and a newline; a few hundred bytes allow for CRLF or
    /// comments-free editors, anything larger is not a key file.</summary>
    private const long MaxKeyFileBytes = 1024;

    /// <summary>Order: a configured base64 value (the caller passes it, with where it came from), then a configured
    /// key file path, then <c>&lt;dataDir&gt;/master.key</c>, generated there on first start when absent, readable
    /// and writable by the owner only from the moment it exists. A key file holds the base64 key and a trailing
    /// newline.</summary>
    /// <exception cref="InvalidOperationException">A configured value or a key file is missing, unreadable or
    /// malformed. The message names the source and what is wrong, never the key.</exception>
    public static MasterKeyLoad Load(string? configuredBase64, string? configuredSourceName, string? keyFilePath, string dataDir)
    {
        if (!string.IsNullOrWhiteSpace(configuredBase64))
        {
            var source = string.IsNullOrWhiteSpace(configuredSourceName) ? "the configured master key" : configuredSourceName;
            try
            {
                return new MasterKeyLoad(MasterKey.FromBase64(configuredBase64), source, Created: false);
            }
            catch (FormatException e)
            {
                throw new InvalidOperationException($"The master key from {source} is malformed: {e.Message}", e);
            }
        }

        if (!string.IsNullOrWhiteSpace(keyFilePath))
        {
            var path = Path.GetFullPath(keyFilePath);
            if (!File.Exists(path))
            {
                throw new InvalidOperationException(
                    $"The configured master key file {path} does not exist. A configured key file is never generated: " +
                    "point the setting at the existing file, or remove it to use the key in the data folder.");
            }
            return new MasterKeyLoad(ReadKeyFile(path), "key file " + path, Created: false);
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(dataDir);
        var defaultPath = Path.GetFullPath(Path.Combine(dataDir, DefaultFileName));
        if (File.Exists(defaultPath))
        {
            return new MasterKeyLoad(ReadKeyFile(defaultPath), "key file " + defaultPath, Created: false);
        }
        return CreateKeyFile(defaultPath);
    }

    private static MasterKey ReadKeyFile(string path)
    {
        string text;
        try
        {
            var length = new FileInfo(path).Length;
            if (length > MaxKeyFileBytes)
            {
                throw new InvalidOperationException(
                    $"The master key file {path} is malformed: it is {length} bytes long; a key file holds 32 bytes of base64 and a newline.");
            }
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // IO messages name the file and the OS error, never file content.
            throw new InvalidOperationException($"The master key file {path} cannot be read: {e.Message}", e);
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            throw new InvalidOperationException($"The master key file {path} is empty; it should hold 32 bytes of base64 and a newline.");
        }
        try
        {
            return MasterKey.FromBase64(text);
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"The master key file {path} is malformed: {e.Message}", e);
        }
    }

    private static MasterKeyLoad CreateKeyFile(string path)
    {
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);

        var key = MasterKey.Generate();
        // Written under a temporary name and moved into place, so a crash never leaves a half-written key file,
        // and two processes starting at once agree on one key (the move refuses to replace an existing file).
        var temporary = Path.Combine(directory, $".{DefaultFileName}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                // Owner-only from creation: a chmod afterwards would leave a window in which others may open it.
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using (var stream = new FileStream(temporary, options))
            using (var writer = new StreamWriter(stream))
            {
                writer.Write(key.ToBase64());
                writer.Write('\n');
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process generated the key first: use theirs.
                key.Dispose();
                return new MasterKeyLoad(ReadKeyFile(path), "key file " + path, Created: false);
            }
            return new MasterKeyLoad(key, "key file " + path, Created: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            key.Dispose();
            throw new InvalidOperationException($"The master key file {path} cannot be created: {e.Message}", e);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
