import django
from django.http import HttpResponse, JsonResponse


def health(request):
    return JsonResponse({"status": "ok", "django": django.get_version()})


def home(request):
    return HttpResponse("<h1>Hello from Django</h1>")
