namespace Baton.Secrets.Tests;

public sealed class SecretNameTests
{
    [Theory]
    [InlineData("api-token")]
    [InlineData("db_credentials")]
    [InlineData("A1")]
    public void Letters_digits_dashes_and_underscores_make_a_name(string name) => Assert.Null(SecretName.Problem(name));

    [Theory]
    [InlineData("", "needs a name")]
    [InlineData("db.password", "may only contain")]
    [InlineData("with space", "may only contain")]
    [InlineData("naïve", "may only contain")]
    public void Anything_else_is_refused_with_a_reason(string name, string reason) =>
        Assert.Contains(reason, SecretName.Problem(name), StringComparison.Ordinal);

    [Fact]
    public void A_name_has_at_most_256_characters()
    {
        Assert.True(SecretName.IsValid(new string('a', 256)));
        Assert.Contains("at most 256", SecretName.Problem(new string('a', 257)), StringComparison.Ordinal);
    }
}
