using System.Text.Json.Nodes;
using Baton.Jq.Templates;

namespace Baton.Jq.Tests.Templates;

/// <summary>
/// An author who writes templates tries to read a secret the analysis would not list (so the hand-off never checks
/// it), or to dump the whole context: each is refused when the template is compiled, naming the field.
/// </summary>
public sealed class TemplateSecretAnalysisTests
{
    [Theory]
    [InlineData(".secrets")]
    [InlineData(".secrets | keys")]
    [InlineData(".secrets | tojson")]
    [InlineData(".secrets | to_entries")]
    [InlineData(".secrets[.outputs.trigger.name]")]
    [InlineData(".secrets[\"TO\" + \"KEN\"]")]
    [InlineData(".[\"sec\" + \"rets\"]")]
    [InlineData(".")]
    [InlineData(". | tojson")]
    [InlineData("tojson")]
    [InlineData("tostring")]
    [InlineData("..")]
    [InlineData("[..]")]
    [InlineData(".[]")]
    [InlineData("[.[]]")]
    [InlineData("keys")]
    [InlineData("to_entries")]
    [InlineData("paths")]
    [InlineData("getpath([\"secrets\", \"OTHER\"])")]
    [InlineData(". as $all | $all.secrets.OTHER")]
    [InlineData("{secrets}")]
    [InlineData("\"\\(.)\"")]
    [InlineData("@json")]
    [InlineData("@base64")]
    [InlineData("def f: .; f")]
    [InlineData(".x = 1 | .secrets.OTHER")]
    [InlineData("del(.outputs)")]
    [InlineData("with_entries(.)")]
    [InlineData("error")]
    [InlineData("first")]
    [InlineData("if . then 1 else 2 end")]
    [InlineData("reduce .[] as $x (0; . + 1)")]
    [InlineData("input")]
    [InlineData("ltrimstr(\"x\")")]
    [InlineData("try error(.) catch .")]
    [InlineData(".outputs | getpath([\"a\"])")]
    public void A_read_past_literal_secret_names_is_refused(string expression)
    {
        var e = Assert.Throws<TemplateException>(() => JqTemplate.Compile(new JsonObject { ["h"] = "x {{ " + expression + " }}" }, rootPath: "$.config"));
        Assert.Equal("$.config.h", e.Path);
    }

    [Theory]
    [InlineData(".secrets.TOKEN", "TOKEN")]
    [InlineData(".secrets?.TOKEN?", "TOKEN")]
    [InlineData(".secrets[\"a-b\"]", "a-b")]
    [InlineData(".secrets.\"a-b\"", "a-b")]
    [InlineData(".secrets.A + \":\" + .secrets.B | @base64", "A,B")]
    [InlineData(".secrets.JSON.field", "JSON")]
    [InlineData(".outputs.trigger | keys | length", "")]
    [InlineData(".outputs | .. | numbers", "")]
    [InlineData(".workflowRun.identifier as $id | \"run \\($id)\"", "")]
    [InlineData("now | todate", "")]
    [InlineData("env.PATH // \"none\"", "")]
    [InlineData("[.outputs.trigger.tags[] | ascii_upcase] | join(\",\")", "")]
    [InlineData("if .outputs.trigger.ok then .secrets.A else .secrets.B end", "A,B")]
    [InlineData("reduce .outputs.trigger.tags[] as $t (\"\"; . + $t)", "")]
    [InlineData("try .secrets.A catch \"none\"", "A")]
    public void Literal_secret_names_and_reads_of_other_contexts_are_allowed(string expression, string secrets)
    {
        var compiled = JqTemplate.Compile(new JsonObject { ["h"] = "{{ " + expression + " }}" });
        Assert.Equal(secrets.Length == 0 ? [] : secrets.Split(','), compiled.Secrets);
    }

    [Fact]
    public void The_rendering_context_holding_more_secrets_than_named_changes_nothing_the_template_can_reach()
    {
        var context = JsonNode.Parse("""{"secrets": {"A": "aaaa-value", "OTHER": "other-value"}, "outputs": {}}""")!.AsObject();
        var rendered = JqTemplate.Compile(JsonNode.Parse("""{"x": "{{ .secrets.A }}", "y": "{{ .outputs | tojson }}"}""")).Render(context)!.ToJsonString();
        Assert.DoesNotContain("other-value", rendered, StringComparison.Ordinal);
    }
}
