using System.Security.Cryptography;
using Baton.Secrets.Crypto;

namespace Baton.Secrets.Tests.Crypto;

public sealed class SecretFingerprintTests
{
    [Fact]
    public void A_fingerprint_is_an_HMAC_under_the_keyrings_run_manifest_key()
    {
        var keyring = Keyring.Create();
        var mac = HMACSHA256.HashData(keyring.PurposeKey("run-manifest-fingerprint"), "s3cr3t"u8);

        Assert.Equal("hmac:" + Convert.ToHexStringLower(mac)[..16], SecretFingerprint.Of(keyring, "s3cr3t"u8));
        Assert.Matches("^hmac:[0-9a-f]{16}$", SecretFingerprint.Of(keyring, "s3cr3t"u8));
    }

    [Fact]
    public void Equal_values_match_and_different_values_do_not()
    {
        var keyring = Keyring.Create();
        Assert.Equal(SecretFingerprint.Of(keyring, "s3cr3t"u8), SecretFingerprint.Of(keyring, "s3cr3t"u8));
        Assert.NotEqual(SecretFingerprint.Of(keyring, "s3cr3t"u8), SecretFingerprint.Of(keyring, "s3cr3u"u8));
    }

    [Fact]
    public void Another_deployment_cannot_reproduce_a_fingerprint_but_the_same_one_can_after_any_rotation()
    {
        var keyring = Keyring.Create();
        var before = SecretFingerprint.Of(keyring, "s3cr3t"u8);
        Assert.NotEqual(before, SecretFingerprint.Of(Keyring.Create(), "s3cr3t"u8));

        keyring.Rotate();
        using var master = MasterKey.Generate();
        var reloaded = Keyring.Unwrap(keyring.Wrap(master), master);
        Assert.Equal(before, SecretFingerprint.Of(reloaded, "s3cr3t"u8));
    }
}
