using System.Text.Json.Nodes;
using Baton.Core.Expressions;

namespace Baton.Core.Tests.Expressions;

public class JsonPathTests
{
    private static readonly JsonNode Store = JsonNode.Parse("""
        {
          "store": {
            "book": [
              { "category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95 },
              { "category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99 },
              { "category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553", "price": 8.99 },
              { "category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord", "isbn": "0-395", "price": 22.99 }
            ],
            "bicycle": { "color": "red", "price": 19.95 }
          },
          "expensive": 10,
          "flags": [true, false, null, 3, "3"]
        }
        """)!;

    private static string Eval(string path) => JsonPath.Parse(path).Evaluate(Store)?.ToJsonString() ?? "null";

    [Theory]
    [InlineData("$.store.bicycle.color", "\"red\"")]
    [InlineData("store.bicycle.color", "\"red\"")]
    [InlineData("$['store']['bicycle']['color']", "\"red\"")]
    [InlineData("$.store.book[0].title", "\"Sayings\"")]
    [InlineData("$.store.book[-1].title", "\"The Lord\"")]
    [InlineData("$.store.book[4].title", "null")]
    [InlineData("$.store.missing.deeper", "null")]
    [InlineData("$.expensive", "10")]
    public void Definite_paths_return_the_node_or_null(string path, string expected)
    {
        Assert.True(JsonPath.Parse(path).IsDefinite);
        Assert.Equal(expected, Eval(path));
    }

    [Theory]
    [InlineData("$.store.book[*].author", """["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]""")]
    [InlineData("$.store.bicycle.*", """["red",19.95]""")]
    [InlineData("$.store.book[1:3].title", """["Sword","Moby Dick"]""")]
    [InlineData("$.store.book[:2].title", """["Sayings","Sword"]""")]
    [InlineData("$.store.book[-2:].title", """["Moby Dick","The Lord"]""")]
    [InlineData("$.store.book[0,2].title", """["Sayings","Moby Dick"]""")]
    [InlineData("$..isbn", """["0-553","0-395"]""")]
    [InlineData("$.store..price", """[8.95,12.99,8.99,22.99,19.95]""")]
    [InlineData("$..book[2].title", """["Moby Dick"]""")]
    [InlineData("$.store.book[*].missing", "[]")]
    public void Indefinite_paths_return_a_list_of_matches(string path, string expected)
    {
        Assert.False(JsonPath.Parse(path).IsDefinite);
        Assert.Equal(expected, Eval(path));
    }

    [Theory]
    [InlineData("$.store.book[?(@.category == 'reference')].title", """["Sayings"]""")]
    [InlineData("$.store.book[?(@.category != 'reference')].title", """["Sword","Moby Dick","The Lord"]""")]
    [InlineData("$.store.book[?(@.price < 10)].title", """["Sayings","Moby Dick"]""")]
    [InlineData("$.store.book[?(@.price <= 8.99)].title", """["Sayings","Moby Dick"]""")]
    [InlineData("$.store.book[?(@.price > 20)].title", """["The Lord"]""")]
    [InlineData("$.store.book[?(@.price >= 12.99)].title", """["Sword","The Lord"]""")]
    [InlineData("$.store.book[?(@.isbn)].title", """["Moby Dick","The Lord"]""")]
    [InlineData("$.store.book[?(!@.isbn)].title", """["Sayings","Sword"]""")]
    [InlineData("$.store.book[?(@.category == 'fiction' && @.price < 20)].title", """["Sword","Moby Dick"]""")]
    [InlineData("$.store.book[?(@.price < 9 || @.price > 20)].title", """["Sayings","Moby Dick","The Lord"]""")]
    [InlineData("$.store.book[?((@.price < 9 || @.price > 20) && @.isbn)].title", """["Moby Dick","The Lord"]""")]
    [InlineData("$.store.book[?(@.price > $.expensive)].title", """["Sword","The Lord"]""")]
    [InlineData("$.store.book[?(@.author == \"Nigel Rees\")].price", """[8.95]""")]
    [InlineData("$.flags[?(@ == true)]", """[true]""")]
    [InlineData("$.flags[?(@ == null)]", """[null]""")]
    [InlineData("$.flags[?(@ == 3)]", """[3,"3"]""")]
    [InlineData("$..book[?(@.isbn == '0-395')].author", """["J. R. R. Tolkien"]""")]
    [InlineData("$.store.bicycle[?(@.color == 'red')].price", """[19.95]""")]
    public void Filters_select_the_matching_elements(string path, string expected)
    {
        Assert.False(JsonPath.Parse(path).IsDefinite);
        Assert.Equal(expected, Eval(path));
    }

    [Fact]
    public void A_name_union_in_last_position_yields_one_object_like_jayway()
    {
        var path = JsonPath.Parse("$.store.bicycle['color','price','none']");
        Assert.True(path.IsDefinite);
        Assert.Equal("""{"color":"red","price":19.95}""", path.Evaluate(Store)!.ToJsonString());
    }

    [Fact]
    public void A_name_union_before_other_steps_is_indefinite()
    {
        var path = JsonPath.Parse("$.store['bicycle','book'].color");
        Assert.False(path.IsDefinite);
        Assert.Equal("""["red"]""", path.Evaluate(Store)!.ToJsonString());
    }

    [Fact]
    public void Evaluation_never_throws_on_unexpected_shapes()
    {
        Assert.Null(JsonPath.Parse("$.a.b[0]").Evaluate(null));
        Assert.Null(JsonPath.Parse("$.a.b[0]").Evaluate(JsonValue.Create(5)));
        Assert.Equal("[]", JsonPath.Parse("$.store.book[?(@.price.x > 1)]").Evaluate(Store)!.ToJsonString());
        Assert.Equal("[]", JsonPath.Parse("$.store.book[?(@.title < 5)]").Evaluate(Store)!.ToJsonString());
    }

    [Fact]
    public void Evaluate_returns_clones_not_the_original_nodes()
    {
        var doc = JsonNode.Parse("""{"a":{"b":[1]}}""")!;
        var result = JsonPath.Parse("a").Evaluate(doc)!;
        result["b"]!.AsArray().Add(2);
        Assert.Equal("""{"a":{"b":[1]}}""", doc.ToJsonString());
    }

    [Fact]
    public void RootName_is_the_first_property()
    {
        Assert.Equal("workflow", JsonPath.Parse("workflow.input.x").RootName);
        Assert.Equal("workflow", JsonPath.Parse("$.workflow.input.x").RootName);
        Assert.Equal("my-task", JsonPath.Parse("$['my-task'].output").RootName);
        Assert.Null(JsonPath.Parse("$").RootName);
        Assert.Null(JsonPath.Parse("$..x").RootName);
    }

    [Theory]
    [InlineData("workflow.input[", "expected ']' at 15")]
    [InlineData("workflow.input['x'", "expected ']' at 18")]
    [InlineData("workflow.input['x", "unterminated quoted string at 15")]
    [InlineData("workflow.", "expected a name after '.' at 9")]
    [InlineData("workflow.input x", "unexpected 'x' at 15")]
    [InlineData("workflow.items[?(@.x == )]", "expected a value at 24")]
    [InlineData("workflow.items[?(@.x = 1)]", "unsupported operator (use ==, !=, <, <=, >, >=) at 21")]
    [InlineData("workflow.items[?(@.x == 1]", "expected ')' at 25")]
    [InlineData("workflow.items[?('a')]", "expected a comparison operator at 20")]
    [InlineData("workflow.items[1:2:3]", "slice steps are not supported at 18")]
    [InlineData("workflow.items.length()", "functions such as length() are not supported at 21")]
    [InlineData("", "expected a path at 0")]
    public void Bad_paths_are_reported_with_what_and_where(string path, string expected)
    {
        Assert.False(JsonPath.TryParse(path, out var result, out var error));
        Assert.Null(result);
        Assert.Equal(expected, error);
        var ex = Assert.Throws<JsonPathSyntaxException>(() => JsonPath.Parse(path));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Equal(path, ex.PathText);
    }

    [Fact]
    public void Deeply_nested_filters_are_rejected_rather_than_overflowing_the_stack()
    {
        var path = "a[?(" + new string('(', 200) + "@.x" + new string(')', 200) + ")]";
        Assert.False(JsonPath.TryParse(path, out _, out var error));
        Assert.StartsWith("filter nested too deeply", error, StringComparison.Ordinal);
    }
}
