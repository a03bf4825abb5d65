from django import template

from absher.steps import flow_steps

register = template.Library()


@register.inclusion_tag("includes/steps.html")
def steps(flow: str, current: int):
    """`{% steps "registration" 2 %}`: the flow's steps with the second one current (absher/steps.py)."""
    return {"steps": flow_steps(flow, int(current)), "total": len(flow_steps(flow, 1))}
