using System.Runtime.Versioning;
using Baton.Secrets.Crypto;

namespace Baton.Secrets.Tests.Crypto;

public sealed class MasterKeySourceTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), "baton-mk-" + Guid.NewGuid().ToString("N"));

    private string DefaultFile => Path.Combine(_dataDir, "master.key");

    [Fact]
    [UnsupportedOSPlatform("windows")] // file modes are a Unix notion; Baton's servers run on Linux
    public void First_start_generates_a_key_file_readable_by_the_owner_only()
    {
        var load = MasterKeySource.Load(null, null, null, _dataDir);
        using var key = load.Key;

        Assert.True(load.Created);
        Assert.Equal("key file " + DefaultFile, load.Source);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DefaultFile));
        Assert.Equal(key.ToBase64() + "\n", File.ReadAllText(DefaultFile));
        Assert.Equal(["master.key"], Directory.GetFiles(_dataDir).Select(Path.GetFileName));
    }

    [Fact]
    public void The_next_start_reuses_the_generated_key_file()
    {
        using var first = MasterKeySource.Load(null, null, null, _dataDir).Key;
        var second = MasterKeySource.Load(null, null, null, _dataDir);
        using var key = second.Key;

        Assert.False(second.Created);
        Assert.Equal(first.Fingerprint, key.Fingerprint);
        Assert.Equal("key file " + DefaultFile, second.Source);
    }

    [Fact]
    public void A_configured_base64_key_wins_over_the_key_files_and_generates_nothing()
    {
        using var configured = MasterKey.Generate();
        var configuredFile = WriteKeyFile("configured.key", MasterKey.Generate().ToBase64() + "\n");

        var load = MasterKeySource.Load(configured.ToBase64(), "BATON_MASTER_KEY", configuredFile, _dataDir);
        using var key = load.Key;

        Assert.Equal(configured.Fingerprint, key.Fingerprint);
        Assert.Equal("BATON_MASTER_KEY", load.Source);
        Assert.False(load.Created);
        Assert.False(File.Exists(DefaultFile));
    }

    [Fact]
    public void A_configured_key_file_wins_over_the_one_in_the_data_folder()
    {
        using var configured = MasterKey.Generate();
        var path = WriteKeyFile("configured.key", configured.ToBase64() + "\n");

        var load = MasterKeySource.Load(null, null, path, _dataDir);
        using var key = load.Key;

        Assert.Equal(configured.Fingerprint, key.Fingerprint);
        Assert.Equal("key file " + path, load.Source);
        Assert.False(File.Exists(DefaultFile));
    }

    [Fact]
    public void A_missing_configured_key_file_is_named_and_never_generated()
    {
        var path = Path.Combine(_dataDir, "nowhere.key");
        var e = Assert.Throws<InvalidOperationException>(() => MasterKeySource.Load(null, null, path, _dataDir));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("c2hvcnQ=\n", "decodes to 5 bytes")]
    [InlineData("this is not base64, it is a password: hunter2\n", "not valid base64")]
    [InlineData("\n", "is empty")]
    public void A_malformed_key_file_is_named_with_what_is_wrong_and_not_its_content(string content, string problem)
    {
        Directory.CreateDirectory(_dataDir);
        File.WriteAllText(DefaultFile, content);

        var e = Assert.Throws<InvalidOperationException>(() => MasterKeySource.Load(null, null, null, _dataDir));
        Assert.Contains(DefaultFile, e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
        if (content.Trim().Length > 0)
        {
            Assert.DoesNotContain(content.Trim(), e.Message.Replace(DefaultFile, "", StringComparison.Ordinal), StringComparison.Ordinal);
        }
        Assert.Equal(content, File.ReadAllText(DefaultFile));
    }

    [Fact]
    public void A_malformed_configured_value_names_its_source_and_not_the_value()
    {
        const string Value = "definitely-not-a-key";
        var e = Assert.Throws<InvalidOperationException>(() =>
            MasterKeySource.Load(Value, "setting Baton:Secrets:MasterKey", null, _dataDir));
        Assert.Contains("setting Baton:Secrets:MasterKey", e.Message, StringComparison.Ordinal);
        Assert.Contains("expected 32 bytes of base64", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Value, e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(DefaultFile));
    }

    [Fact]
    public void Starts_racing_for_the_first_key_agree_on_one_key()
    {
        var loads = Enumerable.Range(0, 8).AsParallel().Select(_ => MasterKeySource.Load(null, null, null, _dataDir)).ToList();
        try
        {
            Assert.Single(loads.Select(l => l.Key.Fingerprint).Distinct());
            Assert.Single(loads, l => l.Created);
            Assert.Equal(["master.key"], Directory.GetFiles(_dataDir).Select(Path.GetFileName));
        }
        finally
        {
            loads.ForEach(l => l.Key.Dispose());
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    private string WriteKeyFile(string name, string content)
    {
        Directory.CreateDirectory(_dataDir);
        var path = Path.Combine(_dataDir, name);
        File.WriteAllText(path, content);
        return path;
    }
}
