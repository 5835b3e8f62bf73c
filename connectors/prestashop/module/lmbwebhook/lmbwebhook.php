<?php
/**
 * LMB webhook: tells LMB at once when an order is validated or changes state.
 *
 * PrestaShop has no native webhooks. This module hooks actionValidateOrder (new order) and
 * actionOrderStatusPostUpdate (state changed) and POSTs a small signed JSON event to LMB:
 *   {"event": "actionValidateOrder", "id_order": 123, "id_shop": 1, "timestamp": 1700000000}
 * with the header  X-LMB-Signature: sha256=<hex HMAC-SHA256 of the raw body, key = the secret>.
 * LMB answers 202 and reads the order itself through the webservice: the event carries no order
 * data, so a forged or replayed event can at worst make LMB read an order again.
 *
 * The call is short (2 s timeout) and its failure never blocks the checkout: LMB's periodic poll
 * by date_upd imports whatever a lost event missed.
 */
if (!defined('_PS_VERSION_')) {
    exit;
}

class LmbWebhook extends Module
{
    const CONFIG_URL = 'LMBWEBHOOK_URL';
    const CONFIG_SECRET = 'LMBWEBHOOK_SECRET';

    public function __construct()
    {
        $this->name = 'lmbwebhook';
        $this->tab = 'administration';
        $this->version = '1.0.0';
        $this->author = 'LMB';
        $this->need_instance = 0;
        $this->ps_versions_compliancy = ['min' => '1.7.0.0', 'max' => _PS_VERSION_];
        parent::__construct();
        $this->displayName = $this->l('LMB webhook');
        $this->description = $this->l('Envoie à LMB les nouvelles commandes et les changements d\'état, signés.');
    }

    public function install()
    {
        return parent::install()
            && $this->registerHook('actionValidateOrder')
            && $this->registerHook('actionOrderStatusPostUpdate');
    }

    public function uninstall()
    {
        Configuration::deleteByName(self::CONFIG_URL);
        Configuration::deleteByName(self::CONFIG_SECRET);
        return parent::uninstall();
    }

    /** Back-office settings: the webhook URL and the secret printed by `prestashop_channel add`. */
    public function getContent()
    {
        $output = '';
        if (Tools::isSubmit('submitLmbWebhook')) {
            $url = trim((string) Tools::getValue(self::CONFIG_URL));
            $secret = trim((string) Tools::getValue(self::CONFIG_SECRET));
            if (!Validate::isAbsoluteUrl($url) || strpos($url, 'https://') !== 0 && strpos($url, 'http://') !== 0) {
                $output .= $this->displayError($this->l('Adresse du webhook invalide.'));
            } else {
                Configuration::updateValue(self::CONFIG_URL, $url);
                if ($secret !== '') {
                    Configuration::updateValue(self::CONFIG_SECRET, $secret);
                }
                $output .= $this->displayConfirmation($this->l('Réglages enregistrés.'));
            }
        }
        $action = AdminController::$currentIndex . '&configure=' . $this->name
            . '&token=' . Tools::getAdminTokenLite('AdminModules');
        $url = htmlspecialchars((string) Configuration::get(self::CONFIG_URL), ENT_QUOTES, 'UTF-8');
        $hasSecret = Configuration::get(self::CONFIG_SECRET) ? $this->l('(enregistré ; laisser vide pour le garder)') : '';

        return $output . '<form method="post" action="' . htmlspecialchars($action, ENT_QUOTES, 'UTF-8') . '" class="defaultForm form-horizontal">'
            . '<div class="panel"><div class="panel-heading">' . $this->displayName . '</div>'
            . '<div class="form-group"><label class="control-label col-lg-3">' . $this->l('Adresse du webhook LMB') . '</label>'
            . '<div class="col-lg-9"><input type="text" name="' . self::CONFIG_URL . '" value="' . $url . '" placeholder="https://lmb.example.fr/connectors/prestashop/ma-boutique/webhook/"></div></div>'
            . '<div class="form-group"><label class="control-label col-lg-3">' . $this->l('Secret') . ' ' . $hasSecret . '</label>'
            . '<div class="col-lg-9"><input type="password" name="' . self::CONFIG_SECRET . '" value="" autocomplete="off"></div></div>'
            . '<div class="panel-footer"><button type="submit" name="submitLmbWebhook" class="btn btn-default pull-right">' . $this->l('Enregistrer') . '</button></div>'
            . '</div></form>';
    }

    public function hookActionValidateOrder($params)
    {
        if (isset($params['order']) && Validate::isLoadedObject($params['order'])) {
            $this->send('actionValidateOrder', (int) $params['order']->id, (int) $params['order']->id_shop);
        }
    }

    public function hookActionOrderStatusPostUpdate($params)
    {
        if (!empty($params['id_order'])) {
            $this->send('actionOrderStatusPostUpdate', (int) $params['id_order'], (int) $this->context->shop->id);
        }
    }

    /** POST one signed event; any failure is logged and swallowed (the poll catches up). */
    protected function send($event, $idOrder, $idShop)
    {
        $url = (string) Configuration::get(self::CONFIG_URL);
        $secret = (string) Configuration::get(self::CONFIG_SECRET);
        if ($url === '' || $secret === '' || !function_exists('curl_init')) {
            return false;
        }
        $body = json_encode([
            'event' => $event,
            'id_order' => $idOrder,
            'id_shop' => $idShop,
            'timestamp' => time(),
        ]);
        $signature = 'sha256=' . hash_hmac('sha256', $body, $secret);
        $curl = curl_init($url);
        curl_setopt_array($curl, [
            CURLOPT_POST => true,
            CURLOPT_POSTFIELDS => $body,
            CURLOPT_HTTPHEADER => ['Content-Type: application/json', 'X-LMB-Signature: ' . $signature],
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_CONNECTTIMEOUT => 2,
            CURLOPT_TIMEOUT => 2,
        ]);
        curl_exec($curl);
        $status = (int) curl_getinfo($curl, CURLINFO_HTTP_CODE);
        curl_close($curl);
        if ($status !== 202) {
            PrestaShopLogger::addLog('LMB webhook: HTTP ' . $status . ' for order ' . $idOrder, 2, null, 'Order', $idOrder);
            return false;
        }
        return true;
    }
}
