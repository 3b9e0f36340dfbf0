"""The DSL's page for the school's categories of concern."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safeguarding.models import Category
from safeguarding.services import categories as services
from safeguarding.views.common import error_text, form_errors_add
from trustplatform.confirm import confirmation_page
from trustplatform.permissions import Capability, require


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["name", "parent", "colour", "sensitivity", "guidance"]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Category.objects.filter(  # type: ignore[attr-defined]
            parent__isnull=True, retired_at__isnull=True
        ).exclude(pk=self.instance.pk)
        self.fields["parent"].required = False


def _category(category_id: int) -> Category:
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        raise Http404
    return category


@require(Capability.MANAGE_CATEGORIES)
@require_GET
def category_list(request: HttpRequest) -> HttpResponse:
    categories = Category.objects.select_related("parent").order_by(
        "retired_at", "position", "name"
    )
    return render(request, "safeguarding/categories/list.html", {"categories": categories})


@require(Capability.MANAGE_CATEGORIES)
@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, category_id: int | None = None) -> HttpResponse:
    category = _category(category_id) if category_id else None
    form = CategoryForm(request.POST or None, instance=category)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.category_save(
                category=category,
                name=data["name"],
                colour=data["colour"],
                guidance=data["guidance"],
                sensitivity=Category.Sensitivity(data["sensitivity"]),
                parent=data["parent"],
            )
        except ValidationError as error:
            form_errors_add(form, error)
        else:
            messages.success(request, "Category saved.")
            return redirect("safeguarding:category_list")
    return render(
        request,
        "accounts/form_page.html",
        {
            "form": form,
            "title": f"Change “{category.name}”" if category else "Add a category",
            "submit": "Save category",
        },
    )


@require(Capability.MANAGE_CATEGORIES)
@require_POST
def category_retire(request: HttpRequest, category_id: int) -> HttpResponse:
    category = _category(category_id)
    if not category.retired_at and (
        asked := confirmation_page(
            request,
            title=f"Retire “{category.name}”?",
            consequence="Staff will no longer be offered it; past concerns keep it.",
            confirm_label="Yes, retire it",
            back_url=reverse("safeguarding:category_list"),
        )
    ):
        return asked
    try:
        if category.retired_at:
            services.category_restore(category=category)
            messages.success(request, f"“{category.name}” is offered again.")
        else:
            services.category_retire(category=category)
            messages.success(request, f"“{category.name}” is retired; past concerns keep it.")
    except ValidationError as error:
        messages.error(request, error_text(error))
    return redirect("safeguarding:category_list")
