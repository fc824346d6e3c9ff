"""Provider adapters, by name: `provider_for(account)` gives the adapter for a ProviderAccount."""

from django.utils.module_loading import import_string

ADAPTERS = {
    "simulator": "channels.providers.simulator.SimulatorProvider",
    "africastalking": "channels.providers.africastalking.AfricasTalkingProvider",
    "twilio": "channels.providers.twilio.TwilioProvider",
    "whatsapp": "channels.providers.whatsapp.WhatsAppProvider",
    "ussd": "channels.providers.ussd.UssdProvider",
    "bulksms": "channels.providers.rest_sms.BulkSmsProvider",
    "clickatell": "channels.providers.rest_sms.ClickatellProvider",
}


def provider_for(account):
    return import_string(ADAPTERS[account.provider])(account)
