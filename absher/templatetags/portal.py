"""Template tags of the portal's layout and forms, written for speed (QUALITY.md, "Speed").

- `field|bootstrap_field`: a form field as crispy-forms' Bootstrap 5 pack renders it (the same
  label, widget classes, error block and ids, so the error summary's links and the browser tests
  still find them), in a few lines of Python instead of crispy's nested templates: a filter form
  on a read page (the travel record) paid ~0.5 ms a field for them.
- `{% layout_fragment %}...{% endlayout_fragment %}`: markup that depends only on the language,
  the settings and the arguments given, rendered once a process for each of those and then reused.
"""

from django import forms, template
from django.core.signals import setting_changed
from django.utils.html import format_html, format_html_join
from django.utils.translation import get_language

register = template.Library()


@register.filter
def bootstrap_field(field):
    """A bound field of a select, text or date input, as crispy's bootstrap5 `field.html` writes it.

    Crispy's widget classes are the widget's class name and Bootstrap's control class
    ("select form-select", "dateinput form-control"); an invalid field gets "is-invalid" and is
    described by its error block. Check boxes, radios, files and required marks are crispy's:
    use it for those.
    """
    widget = field.field.widget
    control = "form-select" if isinstance(widget, forms.Select) else "form-control"
    classes = [widget.attrs.get("class", ""), widget.__class__.__name__.lower(), control]
    errors = field.errors
    if errors:
        classes.append("is-invalid")
    attrs = {"class": " ".join(name for name in classes if name)}
    if errors:
        attrs["aria-describedby"] = f"{field.auto_id}_error"
    error_block = ""
    if errors:
        error_block = format_html(
            '<div id="{}_error" class="invalid-feedback">{}</div>', field.auto_id,
            format_html_join("", '<p id="error_{}_{}"><strong>{}</strong></p>',
                             ((number, field.auto_id, error) for number, error in enumerate(errors, 1))),
        )
    help_block = ""
    if field.help_text:
        help_block = format_html('<div id="{}_helptext" class="form-text">{}</div>', field.auto_id, field.help_text)
    return format_html(
        '<div id="div_{}" class="mb-3"><label for="{}" class="form-label">{}</label>{}{}{}</div>',
        field.auto_id, field.id_for_label, field.label, field.as_widget(attrs=attrs), error_block, help_block,
    )


# Each fragment node keeps its own renderings, (language, *arguments) -> markup: a few a node, and
# gone with the node when the template is compiled again (the cached loader after an edit). A
# change of settings (tests change the support numbers, URLs, storages) starts a new generation:
# every fragment is rendered again.
_generation = 0


def _fragments_forget(**kwargs) -> None:
    global _generation
    _generation += 1


setting_changed.connect(_fragments_forget)


class LayoutFragmentNode(template.Node):
    # No child node lists: {% extends %} walks the base template's nodes for its blocks on every
    # render, and need not walk these (a fragment holds no {% block %}: the tag refuses one).
    child_nodelists = ()

    def __init__(self, nodelist, arguments):
        self.nodelist = nodelist
        self.arguments = arguments
        self.rendered: dict[tuple, str] = {}
        self.generation = _generation

    def render(self, context):
        if self.generation != _generation:
            self.rendered, self.generation = {}, _generation
        key = (get_language(), *(argument.resolve(context) for argument in self.arguments))
        markup = self.rendered.get(key)
        if markup is None:
            markup = self.rendered[key] = self.nodelist.render(context)
        return markup


@register.tag
def layout_fragment(parser, token):
    """`{% layout_fragment user.is_authenticated %}...{% endlayout_fragment %}`: the markup between,
    rendered once a process for each language and each value of the arguments.

    What is inside may depend on nothing else: the language, the settings (a change of settings, as
    tests make, forgets every fragment), URLs and static files, and the arguments — never on the
    user, the request, a form or a CSRF token (leave those between fragments).
    """
    from django.template.loader_tags import BlockNode

    arguments = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endlayout_fragment",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):
        raise template.TemplateSyntaxError("{% layout_fragment %} may not hold a {% block %}")
    return LayoutFragmentNode(nodelist, arguments)
