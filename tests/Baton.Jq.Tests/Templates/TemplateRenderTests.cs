using System.Text.Json.Nodes;
using Baton.Jq.Templates;
using CsCheck;

namespace Baton.Jq.Tests.Templates;

/// <summary>Port's template rules (its jq-node-bindings library, as port-workflows.md §2.3 describes them), and Baton's loud errors.</summary>
public sealed class TemplateRenderTests
{
    private static readonly JsonObject Context = JsonNode.Parse("""
        {"outputs": {"trigger": {"message": "hi", "n": 3, "ok": true, "tags": ["a", "b"], "obj": {"x": 1}, "nothing": null},
                     "my-node": {"id": "m-1"}},
         "secrets": {"TOKEN": "s3cr3t-value", "name-with-dashes": "dashed-value"},
         "workflow": {"identifier": "wf", "versionIdentifier": "2"},
         "workflowRun": {"identifier": "run-1"}}
        """)!.AsObject();

    private static JsonNode? Render(string json) => JqTemplate.Compile(JsonNode.Parse(json)).Render(Context);

    private static string RenderText(string json) =>
        Render(json)?.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) ?? "null";

    [Theory]
    [InlineData("\"{{ .outputs.trigger.obj }}\"", """{"x":1}""")]
    [InlineData("\"{{ .outputs.trigger.tags }}\"", """["a","b"]""")]
    [InlineData("\"{{ .outputs.trigger.n }}\"", "3")]
    [InlineData("\"{{ .outputs.trigger.ok }}\"", "true")]
    [InlineData("\"{{ .outputs.trigger.nothing }}\"", "null")]
    [InlineData("\"  {{ .outputs.trigger.n + 1 }}  \"", "4")]
    [InlineData("\"{{.outputs.trigger.message}}\"", "\"hi\"")]
    public void A_whole_field_template_keeps_the_type_of_its_value(string template, string expected) =>
        Assert.Equal(expected, RenderText(template));

    [Theory]
    [InlineData("\"say {{ .outputs.trigger.message }}\"", "\"say hi\"")]
    [InlineData("\"n={{ .outputs.trigger.n }}\"", "\"n=3\"")]
    [InlineData("\"{{ .outputs.trigger.obj }}!\"", "\"{\\\"x\\\":1}!\"")]
    [InlineData("\"[{{ .outputs.trigger.tags }}]\"", "\"[[\\\"a\\\",\\\"b\\\"]]\"")]
    [InlineData("\"v:{{ .outputs.trigger.nothing }}\"", "\"v:null\"")]
    [InlineData("\"{{ .outputs.trigger.message }}{{ .outputs.trigger.n }}\"", "\"hi3\"")]
    [InlineData("\"a{{ .outputs.trigger.ok }}b\"", "\"atrueb\"")]
    public void Interpolation_inserts_strings_raw_and_other_values_as_json(string template, string expected) =>
        Assert.Equal(expected, RenderText(template));

    [Fact]
    public void Values_that_are_not_strings_and_strings_without_blocks_pass_unchanged() =>
        Assert.Equal("""{"a":1,"b":[true,null],"c":"plain {text}","d":{"e":"x"}}""", RenderText("""{"a":1,"b":[true,null],"c":"plain {text}","d":{"e":"x"}}"""));

    [Fact]
    public void Object_keys_may_be_templates_and_a_key_that_renders_empty_or_null_drops_its_entry() =>
        Assert.Equal("""{"hi":1,"keep":4}""",
            RenderText("""{"{{ .outputs.trigger.message }}": 1, "{{ null }}": 2, "{{ \"\" }}": 3, "keep": 4}"""));

    [Fact]
    public void SpreadValue_spreads_an_object_into_its_parent() =>
        Assert.Equal("""{"a":0,"x":1}""", RenderText("""{"a": 0, "{{ spreadValue() }}": "{{ .outputs.trigger.obj }}"}"""));

    [Fact]
    public void SpreadValue_of_something_other_than_an_object_is_an_error()
    {
        var e = Assert.Throws<TemplateException>(() => Render("""{"{{ spreadValue() }}": "{{ .outputs.trigger.tags }}"}"""));
        Assert.Contains("not an object", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_that_renders_to_a_number_is_an_error() =>
        Assert.Throws<TemplateException>(() => Render("""{"{{ .outputs.trigger.n }}": 1}"""));

    [Fact]
    public void Empty_leaves_out_its_key_or_array_item() =>
        Assert.Equal("""{"b":[1,3]}""", RenderText("""{"a": "{{ empty }}", "b": [1, "{{ empty }}", 3]}"""));

    [Theory]
    [InlineData("\"{{ .outputs[\\\"my-node\\\"].id }}\"", "\"m-1\"")]
    [InlineData("\"{{ .secrets[\\\"name-with-dashes\\\"] }}\"", "\"dashed-value\"")]
    [InlineData("\"{{ .secrets.\\\"name-with-dashes\\\" }}\"", "\"dashed-value\"")]
    [InlineData("\"{{ env }}\"", "{}")]
    [InlineData("\"{{ $ENV }}\"", "{}")]
    [InlineData("\"{{ '}}' + .outputs.trigger.message }}\"", "\"}}hi\"")]
    [InlineData("\"{{ \\\"{{x\\\" }}\"", "\"{{x\"")]
    [InlineData("\"{{'https://url.' + .outputs.trigger.message}}\"", "\"https://url.hi\"")]
    [InlineData("\"{{ 'say \\\"x\\\"' }}\"", "\"say \\\"x\\\"\"")]
    [InlineData("\"{{ {a: .outputs.trigger.n} }}\"", """{"a":3}""")]
    [InlineData("\"{{ {a: {b: 1}} }}\"", """{"a":{"b":1}}""")]
    [InlineData("\"{{ .secrets.TOKEN + \\\":\\\" + .secrets[\\\"name-with-dashes\\\"] | @base64 }}\"", "\"czNjcjN0LXZhbHVlOmRhc2hlZC12YWx1ZQ==\"")]
    public void Brackets_quotes_braces_and_env_read_as_port_reads_them(string template, string expected) =>
        Assert.Equal(expected, RenderText(template));

    [Theory]
    [InlineData("\"{{ .outputs.trigger.message \"", "never closed")]
    [InlineData("\"{{ {{ .a }} }}\"", "inside another block")]
    [InlineData("\"{{ \\\"open }}\"", "never closed")]
    [InlineData("\"{{ }}\"", "empty block")]
    [InlineData("\"{{ .a + }}\"", "compile error")]
    [InlineData("\"{{ nosuchfunction }}\"", "compile error")]
    public void A_template_that_does_not_parse_is_refused_naming_the_path(string template, string reason)
    {
        var e = Assert.Throws<TemplateException>(() => JqTemplate.Compile(JsonNode.Parse("{\"headers\": {\"X\": " + template + "}}"), rootPath: "$.config"));
        Assert.Equal("$.config.headers.X", e.Path);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_secret_fails_naming_it_instead_of_rendering_null()
    {
        var e = Assert.Throws<TemplateException>(() => JqTemplate.Compile(JsonNode.Parse("""{"Authorization": "Bearer {{ .secrets.NOT_THERE }}"}"""), rootPath: "$.headers").Render(Context));
        Assert.Equal("$.headers.Authorization", e.Path);
        Assert.Contains("secret 'NOT_THERE' is not available", e.Message, StringComparison.Ordinal);
        Assert.Contains(".secrets.NOT_THERE", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_output_of_a_node_that_did_not_run_fails_naming_the_node() =>
        Assert.Contains("node 'later' has not run", Assert.Throws<TemplateException>(() => Render("\"{{ .outputs.later.x }}\"")).Message, StringComparison.Ordinal);

    [Fact]
    public void A_default_for_a_node_that_did_not_run_renders_the_default() =>
        Assert.Equal("\"none\"", RenderText("\"{{ .outputs.later.x // \\\"none\\\" }}\""));

    [Fact]
    public void Without_strict_rendering_a_missing_secret_is_null_as_in_port() =>
        Assert.Equal("\"Bearer null\"", JqTemplate.Compile(JsonNode.Parse("\"Bearer {{ .secrets.NOT_THERE }}\""), new TemplateOptions { Strict = false }).Render(Context)!.ToJsonString());

    [Fact]
    public void A_runtime_error_in_a_block_that_reads_a_secret_never_quotes_the_value()
    {
        var e = Assert.Throws<TemplateException>(() => Render("\"{{ .secrets.TOKEN + 1 }}\""));
        Assert.DoesNotContain("s3cr3t", e.ToString(), StringComparison.Ordinal);
        Assert.Contains("withheld", e.Message, StringComparison.Ordinal);
        // Without secrets, jq's own message is shown.
        Assert.Contains("cannot be added", Assert.Throws<TemplateException>(() => Render("\"{{ .outputs.trigger.message + 1 }}\"")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Analysis_lists_the_secrets_and_outputs_each_field_reads()
    {
        var compiled = JqTemplate.Compile(JsonNode.Parse("""
            {"url": "https://{{ .secrets.DOMAIN }}/hooks/{{ .secrets[\"hook-id\"] }}", "headers": {"A": "Bearer {{ .secrets.DOMAIN }}"},
             "body": ["{{ .outputs.trigger.message }}", "{{ .outputs[\"my-node\"].id | ascii_upcase }}", 3]}
            """), rootPath: "$.config");

        Assert.Equal(["DOMAIN", "hook-id"], compiled.Secrets);
        Assert.Equal(["$.config.url", "$.config.headers.A", "$.config.body[0]", "$.config.body[1]"], compiled.Fields.Select(f => f.PathText));
        Assert.Equal(["DOMAIN", "hook-id"], compiled.Fields[0].Secrets);
        Assert.Equal([new TemplatePathStep("body", -1), new TemplatePathStep(null, 1)], compiled.Fields[3].Path);
        Assert.Equal(["my-node"], compiled.Fields[3].Outputs);
    }

    [Fact]
    public void Rendering_reports_every_string_computed_from_a_secret_and_a_display_copy_keeps_those_fields_as_written()
    {
        var compiled = JqTemplate.Compile(JsonNode.Parse("""{"a": "Basic {{ .secrets.TOKEN | @base64 }}", "b": "{{ .outputs.trigger.message }}"}"""));
        var derived = new List<string>();

        compiled.Render(Context, derived);

        Assert.Equal(["Basic czNjcjN0LXZhbHVl"], derived);
        Assert.Equal("""{"a":"Basic {{ .secrets.TOKEN | @base64 }}","b":"hi"}""", compiled.RenderWithoutSecrets(new JsonObject { ["outputs"] = Context["outputs"]!.DeepClone() })!.ToJsonString());
    }

    [Fact]
    public void A_secret_under_a_templated_key_or_in_a_key_is_refused()
    {
        Assert.Throws<TemplateException>(() => JqTemplate.Compile(JsonNode.Parse("""{"{{ .outputs.trigger.message }}": "{{ .secrets.TOKEN }}"}""")));
        Assert.Throws<TemplateException>(() => JqTemplate.Compile(JsonNode.Parse("""{"{{ .secrets.TOKEN }}": 1}""")));
    }

    [Fact]
    public void Where_secrets_are_not_allowed_a_block_that_reads_one_is_refused()
    {
        var e = Assert.Throws<TemplateException>(() => JqTemplate.Compile(JsonNode.Parse("""{"v": "{{ .secrets.TOKEN }}"}"""), new TemplateOptions { AllowSecrets = false }, "$.variables"));
        Assert.Equal("$.variables.v", e.Path);
    }

    [Fact]
    public void Bounds_hold()
    {
        Assert.Throws<TemplateException>(() => JqTemplate.Compile(JsonValue.Create(string.Concat(Enumerable.Repeat("{{ 1 }}", 101)))));
        Assert.Throws<TemplateException>(() => JqTemplate.Compile(JsonValue.Create("{{ \"" + new string('x', 70_000) + "\" }}")));
        Assert.Throws<TemplateException>(() => JqTemplate.Compile(new JsonArray([.. Enumerable.Range(0, 10_001).Select(i => (JsonNode)i)])));
    }

    [Theory]
    [InlineData("..|")]
    [InlineData("recurse|")]
    public void A_pipe_as_long_as_a_template_allows_is_an_error_not_a_stack_overflow(string stage)
    {
        // 64 KiB of "..|" is about 21,000 stages, each running inside the previous one's continuation; on a small stack
        // (a thread-pool thread may have one) the guard must act before the process dies.
        var template = JqTemplate.Compile(JsonValue.Create("{{ .outputs | " + string.Concat(Enumerable.Repeat(stage, (64 * 1024 - 40) / stage.Length)) + ". }}"));
        Exception? caught = null;
        var thread = new Thread(() => caught = Record.Exception(() => template.Render(Context)), 512 * 1024);
        thread.Start();
        thread.Join();
        Assert.Contains("too long for the stack", Assert.IsType<TemplateException>(caught).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_templates_compile_and_render_or_fail_with_a_template_error_only()
    {
        var pieces = new[] { "{{", "}}", " .outputs.trigger.message ", ".secrets.TOKEN", "'", "\"", "\\", "{", "}", " | ", "+", "x", " .. ", "keys", "$ENV", "[", "]", "(", ")", " as $v ", "empty", "@base64" };
        Gen.OneOf(pieces).Array[0, 24].Select(string.Concat).Sample(text =>
        {
            try
            {
                JqTemplate.Compile(JsonValue.Create(text)).Render(Context);
            }
            catch (TemplateException)
            {
                // A refusal names its path; anything else fails the property.
            }
        }, iter: 3_000);
    }
}
