using System.Text;
using Baton.Secrets.Redaction;

namespace Baton.Secrets.Tests.Redaction;

/// <summary>Issue 13 finding 7b: a cut that goes through a value must not leave its beginning visible.</summary>
public sealed class SafeTruncationTests
{
    private const string Value = "S3cr3t/Value+9f8e7d6c5b4a";
    private const string Before = "response body: lorem ipsum dolor sit amet ";
    private const string After = " and more text after it";

    public static TheoryData<string> FormsOfTheValue() =>
    [
        Value,
        Value.ToUpperInvariant(),
        Uri.EscapeDataString(Value),
        Convert.ToHexString(Encoding.UTF8.GetBytes(Value)),
    ];

    [Theory]
    [MemberData(nameof(FormsOfTheValue))]
    public void Cutting_a_whole_text_at_every_position_around_a_value_leaves_none_of_it_visible(string form)
    {
        var redactor = Redactor();
        var text = Before + form + After;

        for (var max = Before.Length - 4; max <= Before.Length + form.Length + 4; max++)
        {
            var result = redactor.RedactAndTruncate(text, max);

            Assert.True(result.Length <= max, $"cut at {max}: {result.Length} characters");
            Assert.Equal(Before[..Math.Min(max, Before.Length)], result[..Math.Min(max, Before.Length)]);
            Assert.DoesNotContain(form[..2], result[Math.Min(max, Before.Length)..], StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [MemberData(nameof(FormsOfTheValue))]
    public void A_text_that_arrives_already_cut_inside_a_value_has_that_end_masked(string form)
    {
        var redactor = Redactor();
        var whole = Before + form + After;

        for (var cut = Before.Length; cut <= Before.Length + form.Length; cut++)
        {
            var result = redactor.RedactAndTruncate(whole[..cut], whole.Length, textWasCut: true);
            var shown = cut - Before.Length;

            if (shown >= SecretRedactor.MinimumCutTail) Assert.Equal(Before + SecretRedactor.Mask, result);
            else Assert.Equal(whole[..cut], result); // at most two characters, the documented limit
        }
    }

    [Fact]
    public void A_value_the_limit_cuts_through_is_masked_when_the_text_is_redacted_and_then_cut()
    {
        var redactor = Redactor();
        var text = new string('x', 100) + Value + new string('y', 100);

        Assert.Equal(new string('x', 100) + "***" + new string('y', 9), redactor.RedactAndTruncate(text, 112));
        Assert.Equal(new string('x', 100) + "**", redactor.RedactAndTruncate(text, 102));
    }

    [Fact]
    public void A_text_within_the_limit_is_only_redacted_and_an_ordinary_cut_is_left_alone()
    {
        var redactor = Redactor();
        const string ordinary = "nothing secret in here at all, just words and words";

        Assert.Same(ordinary, redactor.RedactAndTruncate(ordinary, 1000));
        Assert.Equal("x *** y", redactor.RedactAndTruncate($"x {Value} y", 1000));
        Assert.Equal(ordinary[..20], redactor.RedactAndTruncate(ordinary, 20));
        Assert.Equal(ordinary[..20], redactor.RedactAndTruncate(ordinary[..20], 1000, textWasCut: true));
    }

    [Fact]
    public void A_cut_never_splits_a_surrogate_pair()
    {
        var redactor = Redactor();

        Assert.Equal("ab", redactor.RedactAndTruncate("ab😀cd", 3));
    }

    private static SecretRedactor Redactor()
    {
        var redactor = new SecretRedactor();
        redactor.Reset([new RedactionEntry("TOKEN", Value)]);
        return redactor;
    }
}
