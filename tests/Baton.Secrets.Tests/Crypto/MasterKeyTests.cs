using System.Security.Cryptography;
using System.Text;
using Baton.Secrets.Crypto;

namespace Baton.Secrets.Tests.Crypto;

public sealed class MasterKeyTests
{
    [Theory]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(33)]
    [InlineData(0)]
    public void FromBase64_refuses_anything_but_32_bytes_without_repeating_the_input(int length)
    {
        var input = Convert.ToBase64String(RandomNumberGenerator.GetBytes(length));
        var e = Assert.Throws<FormatException>(() => MasterKey.FromBase64(input));
        Assert.Contains("expected 32 bytes of base64", e.Message, StringComparison.Ordinal);
        if (input.Length > 0)
        {
            Assert.DoesNotContain(input, e.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("not base64 at all, clearly!")]
    [InlineData("this-is-a-far-too-long-value-that-someone-pasted-by-mistake-into-the-variable")]
    public void FromBase64_refuses_text_that_is_not_a_key(string input)
    {
        var e = Assert.Throws<FormatException>(() => MasterKey.FromBase64(input));
        Assert.Contains("expected 32 bytes of base64", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(input, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromBase64_ignores_surrounding_whitespace_such_as_a_trailing_newline()
    {
        using var key = MasterKey.Generate();
        using var read = MasterKey.FromBase64("  " + key.ToBase64() + "\r\n");
        Assert.Equal(key.Fingerprint, read.Fingerprint);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(64)]
    public void FromBytes_refuses_anything_but_32_bytes(int length)
    {
        var e = Assert.Throws<ArgumentException>(() => MasterKey.FromBytes(new byte[length]));
        Assert.Contains($"exactly 32 bytes (256 bits); {length} bytes were given", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_fingerprint_is_stable_for_the_same_key_and_differs_between_keys()
    {
        var bytes = RandomNumberGenerator.GetBytes(32);
        using var a = MasterKey.FromBytes(bytes);
        using var b = MasterKey.FromBase64(Convert.ToBase64String(bytes));
        using var other = MasterKey.Generate();

        Assert.Matches("^mk:[0-9a-f]{16}$", a.Fingerprint);
        Assert.Equal(a.Fingerprint, b.Fingerprint);
        Assert.NotEqual(a.Fingerprint, other.Fingerprint);
    }

    [Fact]
    public void The_fingerprint_is_the_start_of_an_HMAC_of_a_fixed_label()
    {
        var bytes = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        using var key = MasterKey.FromBytes(bytes);
        var mac = HMACSHA256.HashData(bytes, Encoding.ASCII.GetBytes("baton/master-key/fingerprint"));
        Assert.Equal("mk:" + Convert.ToHexStringLower(mac)[..16], key.Fingerprint);
    }

    [Fact]
    public void ToString_names_the_fingerprint_and_never_the_key()
    {
        using var key = MasterKey.Generate();
        Assert.Equal("MasterKey " + key.Fingerprint, key.ToString());
        Assert.DoesNotContain(key.ToBase64(), key.ToString(), StringComparison.Ordinal);
        var load = new MasterKeyLoad(key, "BATON_MASTER_KEY", false);
        Assert.DoesNotContain(key.ToBase64(), load.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ToBase64_round_trips()
    {
        using var key = MasterKey.Generate();
        using var again = MasterKey.FromBase64(key.ToBase64());
        Assert.Equal(44, key.ToBase64().Length);
        Assert.Equal(key.Fingerprint, again.Fingerprint);
    }

    [Fact]
    public void A_disposed_key_can_no_longer_be_used()
    {
        var key = MasterKey.Generate();
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(key.ToBase64);
        Assert.Throws<ObjectDisposedException>(() => Keyring.Create().Wrap(key));
    }
}
